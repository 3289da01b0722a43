"""The send ledger (core.send_ledger): an email that left is not sent again after a database
restore forgot its SentEmail row."""

import datetime

import pytest
from django.core import mail

from core.email import deliver_once, render_email
from core.models import SentEmail
from core.send_ledger import ledger_sent_since


def _message(to="reader@example.com"):
    return render_email("password_reset", {"user": {"email": to}, "reset_url": "http://testserver/x"}, to=to)


@pytest.fixture
def ledger(settings, tmp_path):
    settings.EMAIL_SEND_LEDGER = str(tmp_path / "email-send-ledger.sqlite3")
    return settings.EMAIL_SEND_LEDGER


@pytest.mark.django_db
def test_an_email_a_restore_forgot_is_not_sent_again(ledger):
    before = datetime.datetime.now(datetime.timezone.utc)
    assert deliver_once(key="welcome:7", message=_message()) == "sent"
    SentEmail.objects.all().delete()  # the restored database never saw the send

    assert deliver_once(key="welcome:7", message=_message()) == "duplicate"
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get(key="welcome:7").sent_at is not None  # the database knows again
    assert [(key, to) for key, to, _, _ in ledger_sent_since(before)] == [("welcome:7", "reader@example.com")]


@pytest.mark.django_db
def test_the_same_key_for_someone_else_is_another_email(ledger):
    """A restored database hands out the lost ids again: `welcome:7` may now be another creator."""
    assert deliver_once(key="welcome:7", message=_message("first@example.com")) == "sent"
    SentEmail.objects.all().delete()

    assert deliver_once(key="welcome:7", message=_message("second@example.com")) == "sent"
    assert [m.to for m in mail.outbox] == [["first@example.com"], ["second@example.com"]]


@pytest.mark.django_db
def test_a_failed_send_is_not_in_the_ledger(ledger, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    with pytest.raises(OSError):
        deliver_once(key="k3", message=_message())
    assert ledger_sent_since(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)) == []


@pytest.mark.django_db
def test_without_a_ledger_nothing_is_recorded(settings):
    settings.EMAIL_SEND_LEDGER = ""
    assert deliver_once(key="k4", message=_message()) == "sent"
    assert ledger_sent_since(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)) == []
