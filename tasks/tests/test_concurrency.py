"""Real threads racing on PostgreSQL: exactly once under concurrency."""

import datetime
import threading
import time

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import CreatorStats, Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.concurrency import race
from milestones.models import Celebration, MilestoneAchievement
from milestones.services import celebration_seen
from ops.repair import creator_repair
from tasks.models import TaskCompletion
from tasks.services.completion import task_complete


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
def test_8_threads_completing_different_tasks_on_a_new_day_move_the_streak_once(roadmap, creator_token):
    """The streak case is decided from the stats row read under its lock: without the lock (the
    planted defect: accounts.locks.stats_lock_following without FOR UPDATE) several completions
    read "active yesterday" and each adds a day (the streak came out 5 to 11, not 4)."""
    user, token = creator_token
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    CreatorStats.objects.filter(user=user).update(current_streak=3, longest_streak=3, last_active_on=yesterday)

    results = race(8, lambda i: _complete(token, roadmap[i + 1].pk))

    assert [status for status, _ in results] == [201] * 8
    stats = CreatorStats.objects.get(user=user)
    assert (stats.tasks_completed, stats.current_streak, stats.longest_streak) == (8, 4, 4)
    assert stats.last_active_on == datetime.date.today()


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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repair_waits_for_a_completion_in_flight_and_counts_it(roadmap, creator_token):
    # Given a creator with one completion, whose stats drifted
    user, _ = creator_token
    task_complete(user=user, task_id=roadmap[1].pk, quality=3)
    CreatorStats.objects.filter(user=user).update(points=999)

    def complete_in_flight():
        """A second completion: holds the stats lock, inserts its row, and commits only once the
        repair is waiting for a lock."""
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT 1 FROM accounts_creatorstats WHERE user_id = %s FOR UPDATE", [user.pk])
                cursor.execute(
                    "INSERT INTO tasks_taskcompletion (user_id, task_id, quality, notes, points, completed_at, local_date, "
                    "completed_phase) VALUES (%s, %s, 5, '', 20, now(), current_date, false)", [user.pk, roadmap[2].pk])
                started.set()
                # Wait for the repair to wait for a lock. Asked by state, not by the repair's
                # backend pid: behind a transaction pool a client has no fixed backend.
                waiting, give_up = 0, time.monotonic() + 10  # a repair that never waits fails below
                while not waiting and time.monotonic() < give_up:
                    time.sleep(0.01)
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                    waiting = cursor.fetchone()[0]
                cursor.execute("COMMIT")
        finally:
            other.close()

    started = threading.Event()
    completion = threading.Thread(target=complete_in_flight)
    completion.start()
    assert started.wait(10)

    # When the repair runs meanwhile
    creator_repair(user_id=user.pk)
    completion.join()

    # Then it waited for the completion's lock, so its replay counted the completion
    stats = CreatorStats.objects.get(user=user)
    assert (stats.points, stats.tasks_completed) == (16 + 20, 2)
