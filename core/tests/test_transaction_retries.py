"""A transient conflict (deadlock 40P01, serialization failure 40001) re-runs the whole durable
service in a fresh transaction, a bounded number of times; then the client gets 503 busy.

These run on any database: the conflict is psycopg's error wrapped the way Django wraps it
(core/testing/dberrors.py). The real deadlock and write skew are in test_transaction_conflicts.py.
A service is re-run only as the outermost transaction, so most tests here are transactional
(OUTERMOST): inside pytest-django's usual TestCase wrapper the service is a savepoint.
"""

import datetime
import logging
import sqlite3

import psycopg
import pytest
from django.db import OperationalError, transaction
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import CreatorStats, Enrollment, User
from accounts.tests.factories import CreatorFactory
from core.errors import Conflict
from core.testing.api import api_client_for
from core.testing.dberrors import as_django
from core.transactions import backoff, durable_service, retry_count
from tasks.models import TaskCompletion

DEADLOCK = psycopg.errors.DeadlockDetected("deadlock detected")
SERIALIZATION = psycopg.errors.SerializationFailure("could not serialize access due to read/write dependencies")


@durable_service("tests.retries.flaky")
def _flaky(*, failures, attempts, committed):
    """Writes a user named after the attempt and queues an on-commit callback, then raises the
    next of `failures` (a rolled-back attempt must leave neither behind)."""
    attempt = len(attempts) + 1
    attempts.append(attempt)
    User.objects.create(email=f"attempt-{attempt}@example.com")
    transaction.on_commit(lambda: committed.append(attempt))
    if failures:
        raise failures.pop(0)
    return attempt


# The service must be the outermost transaction, so no TestCase wrapper. _flaky writes only
# accounts' tables: flushing just those afterwards (available_apps) takes well under a second
# on PostgreSQL where the full flush takes ~2-4 s.
OUTERMOST = pytest.mark.django_db(transaction=True, available_apps=["accounts"])


def _exported(name, **labels):
    """The value of one sample as /metrics exports it."""
    text = Client().get("/metrics").content.decode()
    families = text_string_to_metric_families(text)
    return next(sample.value for family in families for sample in family.samples
                if sample.name == name and sample.labels == labels)


def _users():
    return sorted(User.objects.values_list("email", flat=True))


@OUTERMOST
@pytest.mark.parametrize(("error", "reason"), [(DEADLOCK, "deadlock"), (SERIALIZATION, "serialization")])
def test_a_conflict_reruns_the_whole_service_in_a_fresh_transaction(error, reason, caplog):
    attempts, committed = [], []
    before = retry_count("tests.retries.flaky", reason, "retried")

    with caplog.at_level(logging.WARNING, logger="creatorcompass.transactions"):
        result = _flaky(failures=[as_django(error)], attempts=attempts, committed=committed)

    assert result == 2 and attempts == [1, 2]
    assert _users() == ["attempt-2@example.com"]  # the first attempt's write was rolled back
    assert committed == [2]  # and its on-commit callback discarded
    assert retry_count("tests.retries.flaky", reason, "retried") == before + 1
    assert f"transaction conflict service=tests.retries.flaky reason={reason} attempt=1 of 3: retrying" in caplog.text
    assert _exported("creatorcompass_transaction_retries_total", service="tests.retries.flaky", reason=reason,
                     outcome="retried") == before + 1


@OUTERMOST
def test_a_conflict_that_lasts_gives_up_after_the_configured_attempts(settings, caplog, monkeypatch):
    settings.DB_CONFLICT_ATTEMPTS = 4
    attempts, committed, slept = [], [], []
    monkeypatch.setattr("core.transactions.time.sleep", slept.append)
    retried, gave_up = (retry_count("tests.retries.flaky", "deadlock", outcome) for outcome in ("retried", "gave_up"))

    with caplog.at_level(logging.WARNING, logger="creatorcompass.transactions"), pytest.raises(OperationalError) as raised:
        _flaky(failures=[as_django(DEADLOCK) for _ in range(10)], attempts=attempts, committed=committed)

    assert raised.value.__cause__ is DEADLOCK
    assert attempts == [1, 2, 3, 4] and _users() == [] and committed == []
    assert retry_count("tests.retries.flaky", "deadlock", "retried") == retried + 3
    assert retry_count("tests.retries.flaky", "deadlock", "gave_up") == gave_up + 1
    assert "reason=deadlock attempt=4 of 4: giving up" in caplog.text
    assert len(slept) == 3 and 0.01 <= slept[0] <= 0.02 <= slept[1] <= 0.04 <= slept[2] <= 0.08  # doubling


def test_the_backoff_is_jittered_so_two_losers_do_not_retry_in_step():
    assert len({backoff(1) for _ in range(20)}) > 1


@OUTERMOST
@pytest.mark.parametrize("error", [
    as_django(psycopg.errors.UniqueViolation("duplicate key value violates unique constraint")),
    as_django(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")),
    as_django(psycopg.OperationalError("connection failed: Connection refused")),  # no SQLSTATE
    Conflict(),
], ids=["unique_violation", "lock_timeout", "connection_refused", "domain_error"])
def test_any_other_error_is_never_retried(error):
    attempts = []

    with pytest.raises(type(error)):
        _flaky(failures=[error], attempts=attempts, committed=[])

    assert attempts == [1] and _users() == []


@OUTERMOST
def test_sqlite_errors_carry_no_sqlstate_and_are_never_retried():
    locked = OperationalError("database is locked")
    locked.__cause__ = sqlite3.OperationalError("database is locked")
    attempts = []

    with pytest.raises(OperationalError):
        _flaky(failures=[locked], attempts=attempts, committed=[])

    assert attempts == [1]


def _outer_block_of_check_transactions():
    block = transaction.atomic()
    block._from_testcase = True  # as core.transaction_checks marks its outer block
    return block


@OUTERMOST
def test_a_service_running_as_a_savepoint_inside_an_outer_block_is_not_retried():
    attempts = []

    with _outer_block_of_check_transactions():
        with pytest.raises(OperationalError) as raised:
            _flaky(failures=[as_django(DEADLOCK)], attempts=attempts, committed=[])
        transaction.set_rollback(True)

    assert raised.value.__cause__ is DEADLOCK and attempts == [1]


@pytest.mark.django_db
def test_a_service_inside_the_test_case_transaction_is_not_retried():
    attempts = []

    with pytest.raises(OperationalError) as raised:
        _flaky(failures=[as_django(SERIALIZATION)], attempts=attempts, committed=[])

    assert raised.value.__cause__ is SERIALIZATION and attempts == [1]


@OUTERMOST
def test_a_service_inside_a_manual_transaction_is_not_retried():
    attempts = []
    transaction.set_autocommit(False)  # atomic() then makes a savepoint, not a transaction
    try:
        with pytest.raises(OperationalError) as raised:
            _flaky(failures=[as_django(DEADLOCK)], attempts=attempts, committed=[])
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)

    assert raised.value.__cause__ is DEADLOCK and attempts == [1]


@pytest.fixture
def creator_today(roadmap):
    creator = CreatorFactory()
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today())
    return creator


@pytest.fixture
def always_deadlocks(monkeypatch):
    """Completion hits a deadlock after its writes (completion row, stats), every attempt.
    Records how many completions each attempt saw written: its own, and none left by another."""
    calls = []

    def deadlock(**kwargs):
        calls.append(TaskCompletion.objects.count())
        raise as_django(psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr("milestones.services.milestones_unlock", deadlock)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_conflict_beyond_the_attempts_answers_503_busy_with_retry_after_and_writes_nothing(
    roadmap, creator_today, always_deadlocks
):
    gave_up = retry_count("tasks.task_complete", "deadlock", "gave_up")

    response = api_client_for(creator_today).post(f"/api/v1/tasks/{roadmap[1].pk}/complete")

    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response.json()["error"] == {
        "code": "busy", "message": "We are busy right now and nothing was changed. Please try again in a moment.",
    }
    assert always_deadlocks == [1, 1, 1]  # DB_CONFLICT_ATTEMPTS' default, each from a clean state
    assert retry_count("tasks.task_complete", "deadlock", "gave_up") == gave_up + 1
    assert not TaskCompletion.objects.exists()
    assert CreatorStats.objects.filter(user=creator_today, points=0, tasks_completed=0).exists()


@pytest.mark.django_db
def test_the_ui_shows_the_busy_page_for_a_lasting_conflict(client, roadmap, creator_today, always_deadlocks):
    client.force_login(creator_today)

    response = client.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", HTTP_HX_REQUEST="true")

    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert b"We are busy right now and nothing was changed" in response.content
