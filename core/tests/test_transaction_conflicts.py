"""Real transient conflicts on PostgreSQL, between real threads: a deadlock and a serializable
write skew, each cured by re-running the losing durable service in a fresh transaction; with
retries off (DB_CONFLICT_ATTEMPTS=1) the loser gets the deadlock, so the cure is the retry.

The services are registered here only ("tests." names: check_transactions leaves them out).
They break DESIGN §3 on purpose (locks out of order, a read-then-write): that is the conflict.
"""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import F

from accounts.locks import stats_qs_select_for_update
from accounts.models import CreatorStats, User
from core.locks import lock_declare
from core.testing.concurrency import race
from core.transactions import durable_service, retry_count


def _lock_both(*, first, second, points, both_hold_first_lock, attempts, committed):
    """Lock stats row `first` and add `points` to it, then lock `second` and add `points` to it.
    On its first attempt it waits until the other caller holds its first lock, so two callers
    with the rows swapped deadlock for certain; a re-run goes straight through."""
    attempts.append(points)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL deadlock_timeout = '50ms'")  # detect it in 50 ms, not 1 s
    stats_qs_select_for_update().get(pk=first)
    CreatorStats.objects.filter(pk=first).update(points=F("points") + points)
    if len(attempts) == 1:
        both_hold_first_lock.wait()
    stats_qs_select_for_update().get(pk=second)
    CreatorStats.objects.filter(pk=second).update(points=F("points") + points)
    transaction.on_commit(lambda: committed.append(points))


_lock_forward = durable_service("tests.conflicts.lock_forward")(_lock_both)
_lock_backward = durable_service("tests.conflicts.lock_backward")(_lock_both)
LOCKERS = ("tests.conflicts.lock_forward", "tests.conflicts.lock_backward")


def _copy_plus_one(*, source, target, both_read, both_wrote, attempts):
    """At SERIALIZABLE: read `source`'s points, then set `target`'s to that plus one. Two of
    these crossed (a→b, b→a) are the textbook write skew: run one after the other they give
    (1, 2) or (2, 1), interleaved without serializability (1, 1). On its first attempt each
    waits for the other after reading and after writing, so both reach COMMIT, where
    PostgreSQL refuses the second (40001); `attempts` records how far each attempt got."""
    attempts.append("started")
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")  # the first statement
    seen = CreatorStats.objects.get(pk=source).points
    first = len(attempts) == 1
    if first:
        both_read.wait()
    lock_declare(CreatorStats)  # the UPDATE below locks the row (core.locks tracks the order)
    CreatorStats.objects.filter(pk=target).update(points=seen + 1)  # read-then-write: the point
    if first:
        both_wrote.wait()
    attempts[-1] = "body done"


_copy_forward = durable_service("tests.conflicts.copy_forward")(_copy_plus_one)
_copy_backward = durable_service("tests.conflicts.copy_backward")(_copy_plus_one)
COPIERS = ("tests.conflicts.copy_forward", "tests.conflicts.copy_backward")


# Real threads need committed rows (no TestCase wrapper). Only accounts' tables are written, so
# only those are flushed afterwards (available_apps): a fraction of the full flush's seconds.
ACCOUNTS_ONLY = pytest.mark.django_db(transaction=True, available_apps=["accounts"])


@pytest.fixture
def two_stats():
    """Two stats rows, 0 points each: (pk, pk). Bare rows: a signup would also queue emails."""
    return tuple(CreatorStats.objects.create(user=User.objects.create(email=f"conflict-{i}@example.com")).pk
                 for i in range(2))


def _retries(services, reason, outcome):
    return sum(retry_count(service, reason, outcome) for service in services)


def _deadlock_race(a, b):
    """Race forward (a then b, +1 each) against backward (b then a, +10 each). Returns each
    caller's result or the error it raised, its attempts, and the points committed."""
    both_hold_first_lock = threading.Barrier(2, timeout=10)
    attempts, committed = ([], []), []
    calls = (
        lambda: _lock_forward(first=a, second=b, points=1, both_hold_first_lock=both_hold_first_lock,
                              attempts=attempts[0], committed=committed),
        lambda: _lock_backward(first=b, second=a, points=10, both_hold_first_lock=both_hold_first_lock,
                               attempts=attempts[1], committed=committed),
    )

    def work(i):
        try:
            return calls[i]()
        except OperationalError as exc:
            return exc

    return race(2, work), attempts, committed


def _points(*pks):
    return tuple(CreatorStats.objects.get(pk=pk).points for pk in pks)


@pytest.mark.postgres
@ACCOUNTS_ONLY
def test_a_real_deadlock_is_retried_and_every_caller_succeeds_exactly_once(two_stats):
    retried = _retries(LOCKERS, "deadlock", "retried")

    results, attempts, committed = _deadlock_race(*two_stats)

    assert results == [None, None]  # both callers succeeded
    assert sorted(len(calls) for calls in attempts) == [1, 2]  # the deadlock's victim ran twice
    assert _points(*two_stats) == (11, 11)  # each effect once: the victim's first +n rolled back
    assert sorted(committed) == [1, 10]  # and its first attempt's on-commit callback discarded
    assert _retries(LOCKERS, "deadlock", "retried") == retried + 1


@pytest.mark.postgres
@ACCOUNTS_ONLY
def test_with_retries_off_the_deadlock_reaches_one_caller(settings, two_stats):
    settings.DB_CONFLICT_ATTEMPTS = 1
    gave_up = _retries(LOCKERS, "deadlock", "gave_up")

    results, attempts, committed = _deadlock_race(*two_stats)

    [error] = [result for result in results if result is not None]
    assert error.__cause__.sqlstate == "40P01"
    assert [len(calls) for calls in attempts] == [1, 1]
    assert _points(*two_stats) in {(1, 1), (10, 10)} and len(committed) == 1  # only the winner's
    assert _retries(LOCKERS, "deadlock", "gave_up") == gave_up + 1


@pytest.mark.postgres
@ACCOUNTS_ONLY
def test_a_serialization_failure_at_commit_is_retried_and_the_end_state_is_serial(two_stats):
    a, b = two_stats
    both_read, both_wrote = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=10)
    attempts = ([], [])
    retried = _retries(COPIERS, "serialization", "retried")
    calls = (
        lambda: _copy_forward(source=a, target=b, both_read=both_read, both_wrote=both_wrote, attempts=attempts[0]),
        lambda: _copy_backward(source=b, target=a, both_read=both_read, both_wrote=both_wrote, attempts=attempts[1]),
    )

    race(2, lambda i: calls[i]())

    assert _points(a, b) in {(1, 2), (2, 1)}  # what one order or the other gives, not (1, 1)
    winner, loser = sorted(attempts, key=len)
    assert winner == ["body done"]
    # The loser's first attempt finished its body and failed at COMMIT; a re-run then read the
    # winner's committed value and committed (more than one re-run is possible on a busy machine).
    assert loser[0] == loser[-1] == "body done" and len(loser) >= 2
    assert _retries(COPIERS, "serialization", "retried") == retried + len(loser) - 1
