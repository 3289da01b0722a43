import pytest
from django.core import mail
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from accounts.jobs import send_welcome_email
from core.email import deliver_once, email_enqueue, message_id_for, render_email
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
def test_email_enqueue_writes_the_job_in_the_callers_transaction():
    with transaction.atomic():
        email_enqueue(send_welcome_email, 123)
        # The job is a row of this transaction (the outbox), not something done after it.
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        assert connection.run_on_commit == []

    job = DBTaskResult.objects.get()
    assert job.task_path == "accounts.jobs.send_welcome_email" and job.args_kwargs["args"] == [123]


@pytest.mark.django_db
def test_email_enqueue_leaves_no_job_after_a_rollback():
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            email_enqueue(send_welcome_email, 123)
            raise RuntimeError("rolled back")

    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_job_is_invisible_to_workers_until_its_transaction_commits():
    # A second connection stands in for the worker: it must not see the job before COMMIT.
    worker = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with transaction.atomic():
            email_enqueue(send_welcome_email, 7)
            with worker.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {DBTaskResult._meta.db_table}")
                assert cursor.fetchone() == (0,)
        with worker.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {DBTaskResult._meta.db_table}")
            assert cursor.fetchone() == (1,)
    finally:
        worker.close()


@pytest.fixture
def provider(settings):
    """The provider-side fake (core.testing.email_provider): accepts, then loses its answer once."""
    from core.testing.email_provider import AcceptThenTimeoutBackend

    settings.EMAIL_BACKEND = "core.testing.email_provider.AcceptThenTimeoutBackend"
    AcceptThenTimeoutBackend.reset(timeouts=1)
    return AcceptThenTimeoutBackend


@pytest.mark.django_db
def test_a_send_accepted_then_timed_out_is_sent_again_with_the_same_message_id(provider):
    # given a provider that accepts the first send and then times out reading the answer
    with pytest.raises(OSError):
        deliver_once(key="welcome:7", message=_message())
    assert SentEmail.objects.get(key="welcome:7").sent_at is None  # we cannot know it was accepted

    # when the job's retry sends it (a new message object, rendered again)
    assert deliver_once(key="welcome:7", message=_message()) == "sent"

    # then the provider accepted it twice (at least once), both times as the same message,
    # so the recipient's mailbox holds one
    assert len(provider.accepted) == 2 and len(set(provider.accepted)) == 1
    assert provider.accepted[0] == message_id_for("welcome:7") and len(provider.mailbox) == 1
    assert message_id_for("welcome:8") != message_id_for("welcome:7")
