"""One-click unsubscribe (RFC 8058): headers, the signed token, the preference read at send time."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.catalog import EmailKind
from accounts.models import CreatorProfile, Enrollment
from accounts.tests.factories import CreatorFactory
from accounts.unsubscribe import headers_for, unsubscribe_token
from core.testing.jobs import queued_job_names, run_queued_jobs
from tasks.services.completion import task_complete


@pytest.fixture
def achiever(roadmap):
    user = CreatorFactory(platform="youtube", display_name="Ada", email="ada@example.com")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    run_queued_jobs()  # the signup's verification email
    mail.outbox.clear()
    return user


def _milestone_email(user, roadmap):
    task_complete(user=user, task_id=roadmap[1].pk)
    return [job.return_value for job in run_queued_jobs()]


def _header_url(message):
    return re.search(r"<http://testserver(/unsubscribe/[^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)


@pytest.mark.django_db
def test_a_milestone_email_carries_the_one_click_headers_and_a_visible_link(achiever, roadmap):
    assert _milestone_email(achiever, roadmap) == ["sent"]
    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _header_url(message)
    assert f"http://testserver{path}" in message.body and f"http://testserver{path}" in message.alternatives[0][0]


@pytest.mark.django_db
def test_the_one_click_post_needs_no_login_nor_csrf_and_the_get_changes_nothing(achiever, roadmap):
    _milestone_email(achiever, roadmap)
    path = _header_url(mail.outbox[0])
    client = Client(enforce_csrf_checks=True)

    page = client.get(path)
    assert page.status_code == 200 and "Milestones I unlock" in page.content.decode()
    assert CreatorProfile.objects.get(user=achiever).milestone_emails is True  # a link scanner's GET

    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    profile = CreatorProfile.objects.get(user=achiever)
    assert (profile.milestone_emails, profile.reminder_emails) == (False, True)  # that kind only
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200  # a repeat is a success


@pytest.mark.django_db
def test_a_job_queued_before_the_click_does_not_send_after_it(achiever, roadmap):
    task_complete(user=achiever, task_id=roadmap[1].pk)
    assert "send_milestone_email" in queued_job_names()
    Client().post(f"/unsubscribe/{unsubscribe_token(user_id=achiever.pk, kind=EmailKind.MILESTONES)}/")

    assert [job.return_value for job in run_queued_jobs()] == ["unsubscribed"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_forged_or_altered_token_is_refused_and_changes_nothing(achiever):
    token = unsubscribe_token(user_id=achiever.pk, kind=EmailKind.MILESTONES)
    for bad in ("not-a-token", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        assert Client().post(f"/unsubscribe/{bad}/").status_code == 400
    assert CreatorProfile.objects.get(user=achiever).milestone_emails is True


def test_headers_for_adds_the_mailto_when_configured(settings):
    settings.UNSUBSCRIBE_MAILTO = "unsubscribe@creatorcompass.example"
    header = headers_for(7, EmailKind.NEWS)["List-Unsubscribe"]
    assert header.startswith("<http")
    assert "<mailto:unsubscribe@creatorcompass.example?subject=unsubscribe-news>" in header
