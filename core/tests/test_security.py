"""Security checks across the apps: another creator's objects are invisible, every UI form
needs its CSRF token, throttles hold, production settings are strict, secrets stay out of logs."""

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Enrollment
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory, signup_payload
from core.testing.api import api_client_for
from milestones.models import Celebration, MilestoneAchievement
from tasks.models import ContentIdea
from tasks.services import ideas
from tasks.services.completion import task_complete

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def owner(roadmap):
    """A creator who owns one of each object: an idea, an achievement, a celebration."""
    user = CreatorFactory(email="owner@example.com")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    task_complete(user=user, task_id=roadmap[1].pk)
    ideas.idea_create(user=user, title="Owner's idea")
    return user


@pytest.mark.django_db
def test_another_creators_objects_are_404_on_every_object_endpoint(owner, roadmap):
    idea = ContentIdea.objects.get(user=owner)
    achievement = MilestoneAchievement.objects.get(user=owner)
    celebration = Celebration.objects.get(user=owner)
    intruder = api_client_for(CreatorFactory(email="intruder@example.com", platform="twitch", niche="rpg"))

    attempts = {
        "PATCH idea": intruder.patch(f"/api/v1/ideas/{idea.pk}", {"title": "mine now"}, format="json"),
        "DELETE idea": intruder.delete(f"/api/v1/ideas/{idea.pk}"),
        "share achievement": intruder.post(f"/api/v1/milestones/{achievement.milestone_id}/share"),
        "unshare achievement": intruder.delete(f"/api/v1/milestones/{achievement.milestone_id}/share"),
        "celebration seen": intruder.post(f"/api/v1/celebrations/{celebration.pk}/seen"),
        "leave platform": intruder.delete("/api/v1/enrollments/youtube"),
        "complete a task of a roadmap not followed": intruder.post(f"/api/v1/tasks/{roadmap[2].pk}/complete"),
    }

    assert {name: r.status_code for name, r in attempts.items()} == {name: 404 for name in attempts}
    idea.refresh_from_db()
    assert idea.title == "Owner's idea" and Celebration.objects.get(pk=celebration.pk).seen_at is None
    assert MilestoneAchievement.objects.get(pk=achievement.pk).share_token is None


UI_POSTS = [
    "/signup/", "/login/", "/logout/", "/password-reset/", "/verify/resend/",
    "/roadmap/tasks/1/complete/", "/roadmap/export/", "/roadmap/platforms/follow/", "/roadmap/platforms/leave/",
    "/ideas/", "/ideas/1/edit/", "/ideas/1/delete/", "/milestones/1/share/", "/milestones/1/unshare/",
    "/celebrations/1/seen/", "/billing/checkout/", "/billing/portal/", "/billing/cancel/", "/billing/resume/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", UI_POSTS)
def test_every_ui_form_post_needs_its_csrf_token(owner, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(path, {}).status_code == 403


@pytest.mark.django_db
def test_password_reset_is_throttled_per_address(settings):
    from django_tasks_db.models import DBTaskResult

    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset": "2/3600"}
    CreatorFactory(email="target@example.com")
    DBTaskResult.objects.all().delete()
    answers = [Client().post("/password-reset/", {"email": "target@example.com"}).status_code for _ in range(4)]

    assert answers == [302] * 4  # the same answer every time (no enumeration, no signal)
    assert DBTaskResult.objects.filter(task_path="accounts.jobs.send_password_reset_email").count() == 2


def test_production_cookies_are_secure_and_hsts_is_on():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "creatorcompass.settings", "SECRET_KEY": "x" * 50}
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "31536000", "True", "False"]


@pytest.mark.django_db
def test_passwords_and_tokens_never_reach_the_logs(caplog, catalogue):
    with caplog.at_level(logging.DEBUG):
        signup = Client().post("/api/v1/auth/signup", signup_payload(), content_type="application/json")
        token = Client().post("/api/v1/auth/token", {"email": "new.creator@example.com", "password": DEFAULT_PASSWORD},
                              content_type="application/json")
        Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        Client().post("/api/v1/auth/token", {"email": "new.creator@example.com", "password": "wrong-" + DEFAULT_PASSWORD},
                      content_type="application/json")

    assert signup.status_code == 202
    logged = caplog.text
    assert DEFAULT_PASSWORD not in logged and token.json()["token"] not in logged
