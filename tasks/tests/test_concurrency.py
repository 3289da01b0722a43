"""Real threads racing on PostgreSQL: exactly once under concurrency."""

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import CreatorStats, Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.concurrency import race
from milestones.models import Celebration, MilestoneAchievement
from milestones.services import celebration_seen
from tasks.models import TaskCompletion


@pytest.fixture
def creator_token(roadmap):
    user = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    return user, Token.objects.create(user=user).key


def _complete(token, task_id):
    response = APIClient().post(
        f"/api/v1/tasks/{task_id}/complete", {"quality": 5}, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    return response.status_code, response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_16_threads_completing_one_task_count_it_once(roadmap, creator_token):
    user, token = creator_token

    results = race(16, lambda i: _complete(token, roadmap[1].pk))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 15 + [201]
    assert len({body["completion"]["id"] for _, body in results}) == 1  # every answer is the first completion
    stats = CreatorStats.objects.get(user=user)
    assert (stats.tasks_completed, stats.points, stats.current_streak) == (1, 20, 1)
    assert TaskCompletion.objects.filter(user=user).count() == 1
    assert MilestoneAchievement.objects.filter(user=user).count() == 1  # tasks-1
    assert Celebration.objects.filter(user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_completing_different_tasks_both_count(roadmap, creator_token):
    user, token = creator_token

    results = race(2, lambda i: _complete(token, roadmap[i + 1].pk))

    assert sorted(status for status, _ in results) == [201, 201]
    stats = CreatorStats.objects.get(user=user)
    assert (stats.tasks_completed, stats.points) == (2, 40)  # no lost update
    assert MilestoneAchievement.objects.filter(user=user, milestone__code="tasks-1").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_threads_marking_one_celebration_seen_mark_it_once(roadmap, creator_token):
    user, token = creator_token
    _complete(token, roadmap[1].pk)
    celebration = Celebration.objects.get(user=user)

    marked = race(8, lambda i: celebration_seen(user=user, celebration_id=celebration.pk))
    responses = race(8, lambda i: APIClient().post(
        f"/api/v1/celebrations/{celebration.pk}/seen", HTTP_AUTHORIZATION=f"Token {token}"
    ).status_code)

    assert sorted(marked) == [False] * 7 + [True]
    assert responses == [200] * 8
    assert Celebration.objects.get(pk=celebration.pk).seen_at is not None
