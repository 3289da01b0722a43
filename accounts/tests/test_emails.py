import re

import pytest
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from accounts.tests.factories import CreatorFactory, signup_payload
from core.models import SentEmail
from core.testing.jobs import queued_job_names, run_queued_jobs


def _link(message, prefix):
    return re.search(rf"http://testserver({prefix}\S+)", message.body).group(1)


@pytest.fixture
def signed_up():
    user = CreatorFactory(email="ana@example.com", display_name="Ana")
    return user


@pytest.mark.django_db
def test_verification_email_is_sent_by_the_worker_with_a_working_link(signed_up):
    assert mail.outbox == []  # nothing leaves during the request: only a queued job

    [job] = run_queued_jobs()

    assert job.status == "SUCCESSFUL" and job.return_value == "sent"
    [message] = mail.outbox
    assert message.to == ["ana@example.com"] and "Confirm your email" in message.subject
    assert "Hi Ana" in message.body and message.alternatives[0][1] == "text/html"

    client = Client()
    response = client.get(_link(message, "/verify/"))
    assert response.status_code == 200 and b"Email verified" in response.content
    assert User.objects.get(pk=signed_up.pk).is_verified


@pytest.mark.django_db
def test_welcome_email_goes_once_even_when_the_link_is_clicked_twice(signed_up):
    run_queued_jobs()
    link = _link(mail.outbox[0], "/verify/")

    first = Client().get(link)
    second = Client().get(link)
    assert queued_job_names().count("send_welcome_email") == 1  # only the first click enqueues it
    run_queued_jobs()

    assert first.status_code == second.status_code == 200
    assert [m.subject for m in mail.outbox][1:] == ["Welcome to CreatorCompass, Ana"]


@pytest.mark.django_db
def test_a_job_run_twice_sends_its_email_once(signed_up):
    [job] = DBTaskResult.objects.all()
    job.task.call(*job.args_kwargs["args"])
    job.task.call(*job.args_kwargs["args"])

    assert len(mail.outbox) == 1
    assert SentEmail.objects.filter(sent_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_a_tampered_or_foreign_verification_link_is_refused(signed_up):
    run_queued_jobs()
    link = _link(mail.outbox[0], "/verify/")

    response = Client().get(link[:-3] + "xyz/")

    assert response.status_code == 400 and b"not valid" in response.content
    assert not User.objects.get(pk=signed_up.pk).is_verified


@pytest.mark.django_db
def test_an_email_that_fails_to_send_keeps_the_account_and_the_failure_is_visible(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    response = Client().post("/signup/", {**signup_payload(), "platform": "youtube", "niche": "tech"})

    [job] = run_queued_jobs()

    assert response.status_code == 302
    assert User.objects.filter(email="new.creator@example.com").exists()
    assert job.status == "FAILED" and "ConnectionRefusedError" in job.traceback
    assert SentEmail.objects.get().sent_at is None

    # Once the mail server is back, running the job again delivers it.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    assert job.task.call(*job.args_kwargs["args"]) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_resend_sends_a_fresh_link_until_verified(signed_up):
    client = Client()
    client.force_login(signed_up)
    client.post("/verify/resend/")
    run_queued_jobs()

    assert len(mail.outbox) == 2 and mail.outbox[0].to == mail.outbox[1].to


@pytest.mark.django_db
def test_password_reset_end_to_end():
    CreatorFactory(email="reset.me@example.com")
    run_queued_jobs()
    mail.outbox.clear()
    client = Client()

    response = client.post("/password-reset/", {"email": "Reset.Me@example.com"})
    assert response.status_code == 302 and mail.outbox == []
    run_queued_jobs()

    [message] = mail.outbox
    link = _link(message, "/reset/")
    form_url = client.get(link).url  # Django swaps the token into the session and redirects
    response = client.post(form_url, {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"})

    assert response.status_code == 302 and response.url == "/reset/done/"
    assert Client().post("/login/", {"username": "reset.me@example.com", "password": "brand-new-passphrase"}).url == "/dashboard/"


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing():
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302 and response.url == "/password-reset/sent/"
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_the_welcome_email_says_the_roadmap_starts_today_only_when_it_does(signed_up):
    import datetime

    from django.utils import timezone

    from accounts.jobs import send_welcome_email
    from accounts.models import Enrollment

    send_welcome_email.call(signed_up.pk)
    assert "roadmap starts today" in mail.outbox[-1].body
    started = timezone.localdate() - datetime.timedelta(days=3)  # verified three days after signing up
    Enrollment.objects.filter(user=signed_up).update(started_on=started)
    SentEmail.objects.all().delete()

    send_welcome_email.call(signed_up.pk)
    body = mail.outbox[-1].body
    assert "starts today" not in body and "today is day 4" in body and f"started on {started:%-d %B}" in body
