"""Row locks are taken in one order (DESIGN.md §3.3, core.locks.LOCK_ORDER): stats → entitlement
→ usage counter. Planted out of order through the real lock functions, a transaction raises at
the lock that breaks the order; in order, in a new transaction, or in production, it does not.
Usage is where all three lock functions are in reach (usage → billing → accounts)."""

import pytest
from django.db import connection, transaction
from django.db.models import F

from accounts.services import stats_lock
from billing.selectors import plan_code_locked
from core.locks import LockOrderViolation, locks_declared
from core.testing.lockguard import UndeclaredLock
from core.transaction_checks import SCENARIOS, run_checks, scenario
from core.transactions import durable_service
from usage.locks import usage_counter_qs_for_update
from usage.models import Feature, UsageCounter
from usage.services import usage_consume, usage_release
from usage.tests.factories import UsageCounterFactory, creator_on


@pytest.fixture
def creator(catalogue):
    return creator_on("pro")  # an entitlement row, so the entitlement lock locks a row


# --- out of order: raises at once -------------------------------------------------------------

def _entitlement(creator):
    plan_code_locked(user_id=creator.pk)


def _stats(creator):
    stats_lock(user_id=creator.pk)


def _counter_update(creator):
    usage_release(user=creator, feature=Feature.PLATFORMS)  # the UPDATE locks the counter


def _consume(creator):
    usage_consume(user=creator, feature=Feature.IDEAS)  # the entitlement, then the counter


@pytest.mark.parametrize(
    "first, then, held, asked",
    [
        (_entitlement, _stats, "billing.Entitlement", "accounts.CreatorStats"),
        (_counter_update, _entitlement, "usage.UsageCounter", "billing.Entitlement"),
        (_consume, _stats, "usage.UsageCounter", "accounts.CreatorStats"),
    ],
    ids=["entitlement-then-stats", "counter-then-entitlement", "consume-then-stats"],
)
@pytest.mark.django_db
def test_a_lock_out_of_order_raises_at_once_naming_both(creator, first, then, held, asked):
    with transaction.atomic():
        first(creator)

        with pytest.raises(LockOrderViolation, match=f"{asked} lock asked for while this transaction holds {held}"):
            then(creator)


# --- in order, or a new transaction: passes ---------------------------------------------------

@pytest.mark.django_db
def test_stats_entitlement_usage_in_order_pass_and_a_lock_held_may_be_asked_for_again(creator):
    with transaction.atomic():
        stats_lock(user_id=creator.pk)
        usage_consume(user=creator, feature=Feature.IDEAS)  # entitlement, then a counter
        usage_consume(user=creator, feature=Feature.EXPORTS)  # the entitlement held, another counter
        stats_lock(user_id=creator.pk)  # the stats row held: granted without waiting

        assert locks_declared(connection) == ("accounts.CreatorStats", "billing.Entitlement", "usage.UsageCounter")


@pytest.mark.django_db
def test_a_new_transaction_starts_with_a_clean_slate(creator):
    with transaction.atomic():
        usage_release(user=creator, feature=Feature.PLATFORMS)

    with transaction.atomic():
        stats_lock(user_id=creator.pk)

        assert locks_declared(connection) == ("accounts.CreatorStats",)


@pytest.mark.django_db
def test_a_savepoint_is_part_of_its_transaction(creator):
    with transaction.atomic():
        with transaction.atomic():  # a savepoint: released, its locks are still held
            usage_release(user=creator, feature=Feature.PLATFORMS)

        with pytest.raises(LockOrderViolation):
            stats_lock(user_id=creator.pk)


@pytest.mark.django_db
def test_in_production_nothing_is_checked_or_recorded(creator, settings):
    settings.LOCK_ORDER_CHECKS = False

    with transaction.atomic():
        usage_consume(user=creator, feature=Feature.IDEAS)
        stats_lock(user_id=creator.pk)  # out of order, unchecked

        assert locks_declared(connection) == ()


# --- check_transactions: each durable service is a transaction of its own --------------------

@durable_service("tests.locks_counter_then_stats")
def _counter_then_stats(*, user):
    _counter_update(user)
    _stats(user)


@durable_service("tests.locks_1_counter")
def _counter_service(*, user):
    _consume(user)  # ends holding the counter lock, last in the order (and changes a row)


@durable_service("tests.locks_2_stats")
def _stats_service(*, user):
    _stats(user)


def _on_a_new_creator(service):
    def make_run():
        user = creator_on("pro")
        return lambda: service(user=user)

    return make_run


@pytest.fixture
def lock_scenarios(catalogue):
    services = {"tests.locks_counter_then_stats": _counter_then_stats, "tests.locks_1_counter": _counter_service, "tests.locks_2_stats": _stats_service}
    for name, service in services.items():
        scenario(name, reaches=("usage_usagecounter",))(_on_a_new_creator(service))
    yield
    for name in services:
        SCENARIOS.pop(name)


@pytest.mark.django_db
def test_check_transactions_reports_a_service_that_locks_out_of_order(lock_scenarios):
    # check_transactions runs services as savepoints inside blocks marked as a test's
    [result] = run_checks(only=["tests.locks_counter_then_stats"])

    assert result.result == "error"
    assert "LockOrderViolation: accounts.CreatorStats lock asked for while this transaction holds usage.UsageCounter" in result.detail


@pytest.mark.django_db
def test_check_transactions_starts_each_service_with_a_clean_slate(lock_scenarios):
    results = run_checks(only=["tests.locks_1_counter", "tests.locks_2_stats"])

    # The second only locks (it writes nothing, so it proves no atomicity), but it is not refused
    # for a lock the first service held: that would be an error.
    assert [(r.service, r.result) for r in results] == [("tests.locks_1_counter", "ok"), ("tests.locks_2_stats", "no writes")]


# --- the guard that every lock is declared (core.testing.lockguard) ---------------------------

@pytest.mark.django_db
def test_an_update_that_bypasses_the_lock_function_fails_the_test(creator, undeclared_locks):
    counter = UsageCounterFactory(user=creator)

    with transaction.atomic(), pytest.raises(UndeclaredLock, match="usage.UsageCounter rows locked without its lock function"):
        UsageCounter.objects.filter(pk=counter.pk).update(used=F("used") + 1)

    assert len(undeclared_locks) == 1
    undeclared_locks.clear()  # planted on purpose: this test passes


@pytest.mark.django_db
def test_an_update_through_the_lock_function_passes_the_guard(creator, undeclared_locks):
    counter = UsageCounterFactory(user=creator)

    with transaction.atomic():
        usage_counter_qs_for_update().filter(pk=counter.pk).update(used=F("used") + 1)

    assert undeclared_locks == []
