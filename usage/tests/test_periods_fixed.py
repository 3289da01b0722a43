"""A usage period is fixed when it opens: a time-zone change takes effect from the next period and
never shortens or restarts an open one; periods of a feature never overlap."""

import datetime
import zoneinfo

import pytest

from accounts.services import profile_update
from core.errors import LimitReached
from ops import audit
from usage import catalog
from usage.models import Feature, UsageCounter
from usage.services import usage_consume
from usage.tests.factories import creator_on

UTC = datetime.timezone.utc
PLUS_14 = "Pacific/Kiritimati"  # UTC+14, the earliest zone
MINUS_12 = "Etc/GMT+12"  # UTC−12, the latest zone (POSIX sign)


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz if isinstance(tz, datetime.tzinfo) else zoneinfo.ZoneInfo(tz))


def consume(user, feature, now):
    try:
        usage_consume(user=user, feature=feature, now=now)
        return "counted"
    except LimitReached as refused:
        return refused.extra["resets_at"]  # refused: when the open period ends


def periods(user, feature):
    return list(
        UsageCounter.objects.filter(user=user, feature=feature)
        .order_by("starts_at")
        .values_list("starts_at", "resets_at", "used")
    )


def overlaps():
    return audit.counter_periods_overlapping()


# (feature, limit, zone hop, the instant the creator is at the limit and changes zone,
#  when the open period ends, when the next period (in the new zone) ends)
HOPS = [
    # ideas, UTC → +14 h: at 12:00Z on Nov 27 it is already Nov 28 02:00 in Kiritimati.
    (Feature.IDEAS, 5, PLUS_14, at(2026, 11, 27, 12), at(2026, 11, 28), at(2026, 11, 28, 10)),
    # ideas, UTC → −12 h: at 06:00Z on Nov 27 it is still Nov 26 18:00 at UTC−12.
    (Feature.IDEAS, 5, MINUS_12, at(2026, 11, 27, 6), at(2026, 11, 28), at(2026, 11, 28, 12)),
    # exports, UTC → +14 h on Jan 31 12:00Z: already Feb 1 in Kiritimati.
    (Feature.EXPORTS, 3, PLUS_14, at(2026, 1, 31, 12), at(2026, 2, 1), at(2026, 2, 28, 10)),
    # exports, UTC → −12 h on Feb 1 06:00Z: still Jan 31 at UTC−12.
    (Feature.EXPORTS, 3, MINUS_12, at(2026, 2, 1, 6), at(2026, 3, 1), at(2026, 3, 1, 12)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("feature, limit, zone, changed_at, open_ends, next_ends", HOPS)
def test_a_zone_hop_at_the_limit_opens_no_fresh_quota_and_the_next_period_starts_where_the_open_one_ends(
    catalogue, feature, limit, zone, changed_at, open_ends, next_ends
):
    creator = creator_on("free", timezone="UTC")
    for _ in range(limit):
        usage_consume(user=creator, feature=feature, now=changed_at)
    profile_update(user=creator, timezone=zone)

    right_after = consume(creator, feature, changed_at + datetime.timedelta(minutes=1))
    just_before_the_end = consume(creator, feature, open_ends - datetime.timedelta(seconds=1))
    at_the_end = consume(creator, feature, open_ends)

    assert right_after == just_before_the_end == open_ends  # refused, and the reset did not move
    assert at_the_end == "counted"
    assert periods(creator, feature) == [
        (changed_at.replace(hour=0, day=1 if feature == Feature.EXPORTS else changed_at.day), open_ends, limit),
        (open_ends, next_ends, 1),  # starts where the open one ended, ends at a midnight of the new zone
    ]
    assert overlaps() == []


@pytest.mark.django_db
def test_a_zone_change_does_not_shorten_an_open_period_either(catalogue):
    # A Kiritimati creator at the limit on their Nov 28 (11:00Z Nov 27) moves to UTC−12, where
    # it is Nov 26: the open period still ends at Kiritimati's midnight, Nov 28 10:00Z.
    creator = creator_on("free", timezone=PLUS_14)
    for _ in range(5):
        usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 11, 27, 11))
    profile_update(user=creator, timezone=MINUS_12)

    assert consume(creator, Feature.IDEAS, at(2026, 11, 28, 9, 59)) == at(2026, 11, 28, 10)
    assert consume(creator, Feature.IDEAS, at(2026, 11, 28, 10)) == "counted"
    # the next period is the UTC−12 day containing 10:00Z (Nov 27 there), from where the last ended
    assert periods(creator, Feature.IDEAS)[-1] == (at(2026, 11, 28, 10), at(2026, 11, 28, 12), 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day, opens, ends",
    [
        (datetime.date(2026, 3, 8), at(2026, 3, 8, 5), at(2026, 3, 9, 4)),  # spring forward: 23 hours
        (datetime.date(2026, 11, 1), at(2026, 11, 1, 4), at(2026, 11, 2, 5)),  # fall back: 25 hours
    ],
)
def test_a_dst_day_is_one_period_of_23_or_25_hours_stored_as_it_opened(catalogue, day, opens, ends):
    creator = creator_on("free", timezone="America/New_York")
    ny = zoneinfo.ZoneInfo("America/New_York")
    first_minute = datetime.datetime.combine(day, datetime.time(0, 1), tzinfo=ny)
    for _ in range(5):
        usage_consume(user=creator, feature=Feature.IDEAS, now=first_minute)

    last_second = ends - datetime.timedelta(seconds=1)
    assert consume(creator, Feature.IDEAS, last_second) == ends
    assert consume(creator, Feature.IDEAS, ends) == "counted"
    assert periods(creator, Feature.IDEAS)[0] == (opens, ends, 5)


@pytest.mark.django_db
def test_a_zone_change_across_a_dst_change_applies_from_the_next_period(catalogue):
    # A New York creator at the limit on the fall-back day (25 hours) moves to UTC: the open
    # period ends at New York's midnight, then the UTC day from there.
    creator = creator_on("free", timezone="America/New_York")
    for _ in range(5):
        usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 11, 1, 23, tz="America/New_York"))
    profile_update(user=creator, timezone="UTC")

    assert consume(creator, Feature.IDEAS, at(2026, 11, 2, 4, 59)) == at(2026, 11, 2, 5)
    assert consume(creator, Feature.IDEAS, at(2026, 11, 2, 5)) == "counted"
    assert periods(creator, Feature.IDEAS)[-1] == (at(2026, 11, 2, 5), at(2026, 11, 3), 1)


# --- the checks can fail ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_audit_finds_overlapping_periods_when_the_next_period_ignores_where_the_last_ended(catalogue, monkeypatch):
    """Planted defect: the next period opens at the new zone's local midnight, before the open
    one ended (period_opening ignoring previous_end): the audit names the two counters."""
    creator = creator_on("free", timezone="UTC")
    usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 11, 27, 12))
    profile_update(user=creator, timezone=PLUS_14)
    real = catalog.period_opening
    monkeypatch.setattr(
        "usage.services.period_opening", lambda period, *, tz, now, previous_end=None: real(period, tz=tz, now=now)
    )

    usage_consume(user=creator, feature=Feature.IDEAS, now=at(2026, 11, 28, 1))

    (breach,) = overlaps()
    assert breach.check == "counter_periods_do_not_overlap" and breach.ids["user_id"] == creator.pk
