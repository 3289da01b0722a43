import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts.jobs import send_welcome_email
from core.email import deliver_once, email_on_commit, render_email
from core.models import SentEmail


def _message(to="reader@example.com"):
    return render_email("password_reset", {"user": {"email": to}, "reset_url": "http://testserver/x"}, to=to)


@pytest.mark.django_db
def test_deliver_once_sends_a_key_only_once():
    assert deliver_once(key="k1", message=_message()) == "sent"
    assert deliver_once(key="k1", message=_message()) == "duplicate"

    assert len(mail.outbox) == 1
    record = SentEmail.objects.get(key="k1")
    assert record.sent_at is not None and record.to == "reader@example.com"
    assert mail.outbox[0].anymail_test_params["tags"] == ["password_reset"]


@pytest.mark.django_db
def test_a_failed_send_releases_its_claim_so_a_retry_can_send(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens

    with pytest.raises(OSError):
        deliver_once(key="k2", message=_message())
    assert SentEmail.objects.get(key="k2").claimed_at is None

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    assert deliver_once(key="k2", message=_message()) == "sent"


@pytest.mark.django_db
def test_email_on_commit_enqueues_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            email_on_commit(send_welcome_email, 123)
            assert DBTaskResult.objects.count() == 0

    assert len(callbacks) == 1
    job = DBTaskResult.objects.get()
    assert job.task_path == "accounts.jobs.send_welcome_email" and job.args_kwargs["args"] == [123]


@pytest.mark.django_db
def test_email_on_commit_enqueues_nothing_after_a_rollback(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                email_on_commit(send_welcome_email, 123)
                raise RuntimeError("rolled back")

    assert callbacks == []
    assert DBTaskResult.objects.count() == 0
