import datetime
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from billing.models import Entitlement, EntitlementStatus
from billing.tests.factories import EntitlementFactory
from core.errors import LimitReached
from usage.catalog import DAY, LIFETIME, LIFETIME_START, MONTH, period_of
from usage.locks import usage_counter_qs_for_update
from usage.models import Feature
from usage.services import usage_consume, usage_release
from usage.tests.factories import UsageCounterFactory, creator_on, used_of

UTC = datetime.timezone.utc


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz if isinstance(tz, datetime.tzinfo) else zoneinfo.ZoneInfo(tz))


def consume_times(user, feature, times, now):
    for _ in range(times):
        usage_consume(user=user, feature=feature, now=now)


# --- limits -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_free_creator_saves_5_ideas_a_day_and_the_6th_is_refused_with_limit_used_and_reset(catalogue):
    creator = creator_on("free", timezone="UTC")
    now = at(2026, 1, 15, 12)
    consume_times(creator, Feature.IDEAS, 5, now)

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.IDEAS, now=now)

    error = refused.value
    assert (error.status, error.code) == (429, "limit_reached")
    assert error.extra == {"feature": "ideas", "limit": 5, "used": 5, "resets_at": at(2026, 1, 16)}
    assert "5 of your 5 ideas today" in error.message
    assert used_of(creator, Feature.IDEAS) == 5


@pytest.mark.django_db
def test_an_unlimited_plan_is_counted_and_never_refused(catalogue):
    creator = creator_on("pro")
    now = at(2026, 1, 15, 12)

    consume_times(creator, Feature.IDEAS, 25, now)
    consume_times(creator, Feature.EXPORTS, 10, now)

    assert (used_of(creator, Feature.IDEAS), used_of(creator, Feature.EXPORTS)) == (25, 10)


@pytest.mark.django_db
def test_several_units_fit_whole_or_are_refused_whole(catalogue):
    creator = creator_on("free")
    now = at(2026, 1, 15, 12)
    usage_consume(user=creator, feature=Feature.EXPORTS, n=2, now=now)

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.EXPORTS, n=2, now=now)  # 2 + 2 > 3

    assert refused.value.extra["used"] == 2 and used_of(creator, Feature.EXPORTS) == 2
    usage_consume(user=creator, feature=Feature.EXPORTS, n=1, now=now)
    assert used_of(creator, Feature.EXPORTS) == 3


@pytest.mark.django_db
def test_platforms_count_the_main_platform_from_the_start(catalogue):
    free, pro, studio = creator_on("free"), creator_on("pro"), creator_on("studio")
    now = at(2026, 1, 15, 12)

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=free, feature=Feature.PLATFORMS, now=now)
    consume_times(pro, Feature.PLATFORMS, 2, now)
    with pytest.raises(LimitReached):
        usage_consume(user=pro, feature=Feature.PLATFORMS, now=now)
    consume_times(studio, Feature.PLATFORMS, 7, now)

    assert refused.value.extra == {"feature": "platforms", "limit": 1, "used": 1, "resets_at": None}
    assert used_of(free, Feature.PLATFORMS) == 1  # the row at its initial count: nothing was counted
    assert (used_of(pro, Feature.PLATFORMS), used_of(studio, Feature.PLATFORMS)) == (3, 8)


@pytest.mark.django_db
@pytest.mark.parametrize("feature, n", [("followers", 1), (Feature.IDEAS, 0), (Feature.IDEAS, -1)])
def test_an_unknown_feature_or_a_count_below_1_is_a_bug(catalogue, feature, n):
    with pytest.raises(ValueError):
        usage_consume(user=creator_on("free"), feature=feature, n=n)


# --- transactions -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_consuming_inside_a_larger_transaction_rolls_back_with_it(catalogue):
    creator = creator_on("free")
    now = at(2026, 1, 15, 12)
    consume_times(creator, Feature.IDEAS, 2, now)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            usage_consume(user=creator, feature=Feature.IDEAS, now=now)
            usage_consume(user=creator, feature=Feature.EXPORTS, now=now)  # creates this period's row
            raise RuntimeError("the action failed after counting")

    assert used_of(creator, Feature.IDEAS) == 2
    assert used_of(creator, Feature.EXPORTS) is None


def _queries(creator, feature, now):
    with CaptureQueriesContext(connection) as captured:
        try:
            usage_consume(user=creator, feature=feature, now=now)
        except LimitReached:
            pass
    return [q["sql"] for q in captured]


@pytest.mark.django_db
def test_query_count_of_a_consume_is_exact(catalogue):
    creator = creator_on("free")
    now = at(2026, 1, 15, 12)

    first = _queries(creator, Feature.IDEAS, now)
    usual = [_queries(creator, Feature.IDEAS, now) for _ in range(4)][-1]
    refused = _queries(creator, Feature.IDEAS, now)

    # entitlement (locked), UPDATE (no open period), the previous period's end, [PostgreSQL: the
    # opening lock], the previous period's end again under it, INSERT … ON CONFLICT DO NOTHING, UPDATE
    assert len(first) == (7 if connection.vendor == "postgresql" else 6)
    # entitlement (locked), one conditional UPDATE
    assert len(usual) == 2
    assert usual[1].startswith("UPDATE") and '"used" <= 4' in usual[1]  # used + 1 <= 5
    # entitlement, UPDATE, the open period (no INSERT), UPDATE, read what is used for the message
    assert len(refused) == 5 and not any(q.startswith("INSERT") for q in refused)
    if connection.vendor == "postgresql":
        assert "FOR NO KEY UPDATE" in usual[0] and "pg_advisory_xact_lock" in first[3] and "ON CONFLICT DO NOTHING" in first[5]


@pytest.mark.django_db
def test_an_unlimited_consume_updates_without_a_condition_in_2_queries(catalogue):
    creator = creator_on("studio")
    now = at(2026, 1, 15, 12)
    usage_consume(user=creator, feature=Feature.EXPORTS, now=now)

    sql = _queries(creator, Feature.EXPORTS, now)

    assert len(sql) == 2 and sql[1].startswith("UPDATE") and '"used" <=' not in sql[1]


# --- periods in the creator's time zone -----------------------------------------------------------

@pytest.mark.django_db
def test_ideas_reset_at_midnight_in_the_creators_time_zone(catalogue):
    creator = creator_on("free", timezone="Asia/Tokyo")
    consume_times(creator, Feature.IDEAS, 5, at(2026, 1, 15, 14, 30))  # 23:30 in Tokyo

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 1, 15, 14, 59, 59))
    usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 1, 15, 15, 0))  # 00:00 on Jan 16 in Tokyo

    assert refused.value.extra["resets_at"] == at(2026, 1, 15, 15)
    assert used_of(creator, Feature.IDEAS, datetime.date(2026, 1, 15)) == 5
    assert used_of(creator, Feature.IDEAS, datetime.date(2026, 1, 16)) == 1


@pytest.mark.django_db
def test_exports_reset_on_the_first_of_the_month_in_the_creators_time_zone(catalogue):
    creator = creator_on("free", timezone="America/Los_Angeles")
    # Jan 31 23:00 in Los Angeles is already Feb 1 in UTC: still January for the creator.
    consume_times(creator, Feature.EXPORTS, 3, at(2026, 1, 31, 23, tz="America/Los_Angeles"))

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.EXPORTS, now=at(2026, 1, 31, 23, 59, tz="America/Los_Angeles"))
    usage_consume(user=creator, feature=Feature.EXPORTS, now=at(2026, 2, 1, 0, 0, tz="America/Los_Angeles"))

    assert refused.value.extra["resets_at"] == at(2026, 2, 1, 8)  # midnight PST
    assert used_of(creator, Feature.EXPORTS, datetime.date(2026, 1, 1)) == 3
    assert used_of(creator, Feature.EXPORTS, datetime.date(2026, 2, 1)) == 1


@pytest.mark.django_db
def test_a_23_hour_day_across_the_spring_dst_change_is_one_period(catalogue):
    creator = creator_on("free", timezone="America/New_York")
    # 2026-03-08: New York springs forward at 02:00; the day runs 05:00Z → 04:00Z next day.
    usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 3, 8, 0, 30, tz="America/New_York"))
    consume_times(creator, Feature.IDEAS, 4, at(2026, 3, 8, 23, 30, tz="America/New_York"))

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 3, 8, 23, 59, tz="America/New_York"))
    usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 3, 9, 0, 10, tz="America/New_York"))

    assert refused.value.extra["resets_at"] == at(2026, 3, 9, 4)  # midnight EDT
    assert used_of(creator, Feature.IDEAS, datetime.date(2026, 3, 8)) == 5
    assert used_of(creator, Feature.IDEAS, datetime.date(2026, 3, 9)) == 1


def test_periods_follow_the_local_calendar_through_dst_and_month_ends():
    ny = zoneinfo.ZoneInfo("America/New_York")

    spring = period_of(DAY, tz=ny, now=at(2026, 3, 8, 12, tz=ny))
    autumn = period_of(DAY, tz=ny, now=at(2026, 11, 1, 12, tz=ny))
    february = period_of(MONTH, tz=ny, now=at(2028, 2, 29, 23, 59, tz=ny))
    december = period_of(MONTH, tz=zoneinfo.ZoneInfo("Pacific/Auckland"), now=at(2026, 12, 31, 11))  # Jan 1 there
    lifetime = period_of(LIFETIME, tz=ny, now=at(2026, 3, 8, 12))

    assert (spring.start, spring.resets_at) == (datetime.date(2026, 3, 8), at(2026, 3, 9, 4))  # 23 hours
    assert (autumn.start, autumn.resets_at) == (datetime.date(2026, 11, 1), at(2026, 11, 2, 5))  # 25 hours
    assert (february.start, february.ends_on) == (datetime.date(2028, 2, 1), datetime.date(2028, 3, 1))
    assert (december.start, december.resets_at) == (datetime.date(2027, 1, 1), at(2027, 1, 31, 11))
    assert (lifetime.start, lifetime.resets_at) == (LIFETIME_START, None)


# --- plan changes -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_downgrade_mid_month_applies_the_lower_limit_at_once_and_keeps_what_was_used(catalogue):
    creator = creator_on("pro", timezone="UTC")
    consume_times(creator, Feature.EXPORTS, 5, at(2026, 1, 10, 12))
    Entitlement.objects.filter(user=creator).update(status=EntitlementStatus.CANCELED)

    with pytest.raises(LimitReached) as refused:
        usage_consume(user=creator, feature=Feature.EXPORTS, now=at(2026, 1, 15, 12))
    usage_consume(user=creator, feature=Feature.EXPORTS, now=at(2026, 2, 1, 0))  # a new month, free limit

    assert (refused.value.extra["limit"], refused.value.extra["used"]) == (3, 5)
    assert used_of(creator, Feature.EXPORTS, datetime.date(2026, 1, 1)) == 5
    assert used_of(creator, Feature.EXPORTS, datetime.date(2026, 2, 1)) == 1


@pytest.mark.django_db
def test_an_upgrade_lifts_the_limit_at_once(catalogue):
    creator = creator_on("free")
    now = at(2026, 1, 15, 12)
    consume_times(creator, Feature.IDEAS, 5, now)
    EntitlementFactory(user=creator, plan_id="pro")

    usage_consume(user=creator, feature=Feature.IDEAS, now=now)

    assert used_of(creator, Feature.IDEAS) == 6


# --- giving lifetime units back -------------------------------------------------------------------

@pytest.mark.django_db
def test_releasing_a_platform_frees_a_slot_and_never_goes_below_zero(catalogue):
    creator = creator_on("pro")
    now = at(2026, 1, 15, 12)
    usage_consume(user=creator, feature=Feature.PLATFORMS, now=now)  # 2 of 3

    released = [usage_release(user=creator, feature=Feature.PLATFORMS, now=now) for _ in range(3)]

    assert released == [True, True, False]
    assert used_of(creator, Feature.PLATFORMS) == 0


@pytest.mark.django_db
def test_the_database_refuses_a_negative_counter(catalogue):
    counter = UsageCounterFactory(user=creator_on("free"), used=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        usage_counter_qs_for_update().filter(pk=counter.pk).update(used=F("used") - 1)


@pytest.mark.django_db
def test_daily_and_monthly_units_are_not_given_back(catalogue):
    with pytest.raises(ValueError):
        usage_release(user=creator_on("free"), feature=Feature.IDEAS)


@pytest.mark.django_db
def test_a_refusal_leaves_the_callers_transaction_usable(catalogue):
    creator = creator_on("free")
    now = at(2026, 1, 15, 12)
    consume_times(creator, Feature.IDEAS, 5, now)

    with transaction.atomic():
        with pytest.raises(LimitReached):
            usage_consume(user=creator, feature=Feature.IDEAS, now=now)
        usage_consume(user=creator, feature=Feature.EXPORTS, now=now)  # the transaction goes on

    assert (used_of(creator, Feature.IDEAS), used_of(creator, Feature.EXPORTS)) == (5, 1)
