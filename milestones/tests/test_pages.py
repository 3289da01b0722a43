import datetime

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.jobs import run_queued_jobs
from milestones.models import Milestone, MilestoneAchievement
from tasks.services.completion import task_complete

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def achiever(roadmap):
    user = CreatorFactory(platform="youtube", display_name="Ada", email="ada@example.com")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    task_complete(user=user, task_id=roadmap[1].pk)
    return user


@pytest.mark.django_db
def test_milestones_page_shares_and_unshares_with_htmx(achiever):
    client = Client()
    client.force_login(achiever)
    first = Milestone.objects.get(code="tasks-1")

    page = client.get("/milestones/").content.decode()
    assert "1 of 18 unlocked" in page and "Create share link" in page
    assert page.index("First step") < page.index("3-day streak") < page.index("Foundation complete") < page.index("100 points")
    assert "Not yet · Keep a 7-day streak" in page

    shared = client.post(f"/milestones/{first.pk}/share/", **HTMX).content.decode()
    token = MilestoneAchievement.objects.get(user=achiever).share_token
    assert f"/m/{token}" in shared and "Unshare" in shared
    assert Client().get(f"/m/{token}").status_code == 200

    unshared = client.post(f"/milestones/{first.pk}/unshare/", **HTMX).content.decode()
    assert "Create share link" in unshared and Client().get(f"/m/{token}").status_code == 404


@pytest.mark.django_db
def test_an_unknown_share_token_is_404():
    assert Client().get("/m/not-a-real-token").status_code == 404


@pytest.mark.django_db
def test_milestone_email_is_sent_once_after_commit(achiever):
    run_queued_jobs()

    subjects = [m.subject for m in mail.outbox]
    assert "Milestone unlocked: First step" in subjects
    body = next(m for m in mail.outbox if m.subject == "Milestone unlocked: First step").body
    assert "You completed your first task" in body and "http://testserver/milestones/" in body
