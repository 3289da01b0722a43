"""Metered features: their period and their limit on each plan (DESIGN.md §2), and the
periods themselves, computed in the creator's time zone."""

import dataclasses
import datetime

from billing.models import PlanCode
from usage.models import Feature

DAY = "day"
MONTH = "month"
LIFETIME = "lifetime"

# The period_start of lifetime counters: one row per creator and feature, for good.
LIFETIME_START = datetime.date(2000, 1, 1)
LIFETIME_STARTS_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    feature: str
    label: str
    noun: str
    period: str
    limits: dict  # plan code -> units per period; None = unlimited
    refused: str  # the LimitReached message, formatted with limit, used and s (plural of limit)
    initial: int = 0  # `used` of a fresh counter

    def limit_for(self, plan_code):
        """The plan's limit (None: unlimited). An unknown plan code gets the free plan's."""
        return self.limits.get(plan_code, self.limits[PlanCode.FREE])


FEATURES = {
    Feature.PLATFORMS: FeatureSpec(
        Feature.PLATFORMS, "Platforms", "platforms followed", LIFETIME,
        {PlanCode.FREE: 1, PlanCode.PRO: 3, PlanCode.STUDIO: None},
        "Your plan lets you follow {limit} platform roadmap{s} and you follow {used}. "
        "Upgrade to follow more, or leave one.",
        # The main platform chosen at signup is followed from the start and cannot be left,
        # so it holds the first slot (signup writes only accounts' tables).
        initial=1,
    ),
    Feature.EXPORTS: FeatureSpec(
        Feature.EXPORTS, "Exports", "exports this month", MONTH,
        {PlanCode.FREE: 3, PlanCode.PRO: None, PlanCode.STUDIO: None},
        "You have used {used} of your {limit} export{s} this month. "
        "Upgrade for unlimited exports, or wait for the new month.",
    ),
    Feature.IDEAS: FeatureSpec(
        Feature.IDEAS, "Ideas", "ideas saved today", DAY,
        {PlanCode.FREE: 5, PlanCode.PRO: None, PlanCode.STUDIO: None},
        "You have saved {used} of your {limit} idea{s} today. "
        "Upgrade for unlimited ideas, or come back tomorrow.",
    ),
}


def feature_spec(feature):
    try:
        return FEATURES[feature]
    except KeyError:
        raise ValueError(f"unknown metered feature {feature!r}") from None


@dataclasses.dataclass(frozen=True)
class Period:
    start: datetime.date  # first local date of the period
    ends_on: datetime.date | None  # first local date of the next period (None: lifetime)
    resets_at: datetime.datetime | None  # the instant it ends, in UTC (None: lifetime)
    starts_at: datetime.datetime = LIFETIME_STARTS_AT  # the instant it starts, in UTC


def _next_month(day):
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def period_of(period, *, tz, now):
    """The period containing the instant `now` for a creator in time zone `tz`. A day runs from
    local midnight to local midnight (23 or 25 hours across a DST change), a month from the
    first to the first, both in the creator's time zone."""
    if period == LIFETIME:
        return Period(LIFETIME_START, None, None)
    today = now.astimezone(tz).date()
    if period == DAY:
        start, ends_on = today, today + datetime.timedelta(days=1)
    elif period == MONTH:
        start = today.replace(day=1)
        ends_on = _next_month(start)
    else:
        raise ValueError(f"unknown period {period!r}")
    return Period(start, ends_on, _midnight(ends_on, tz), _midnight(start, tz))


def _midnight(day, tz):
    # Local midnight in UTC; where midnight falls in a DST gap, zoneinfo (fold=0) gives the
    # instant the day's first existing minute starts.
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz).astimezone(datetime.timezone.utc)


def period_opening(period, *, tz, now, previous_end=None):
    """The period a creator in time zone `tz` opens at `now`, the previous one (of the same
    feature) having ended at `previous_end`: the local period containing `now` (period_of),
    starting no earlier than `previous_end`. A period is fixed once it opens (the counter stores
    its start and end instants), so a time-zone change takes effect from the next period and
    never shortens or restarts an open one; the period right after a change starts where the
    previous one ended, so no two periods overlap and no instant counts twice. Pure."""
    opening = period_of(period, tz=tz, now=now)
    if period == LIFETIME or previous_end is None or previous_end <= opening.starts_at:
        return opening
    return dataclasses.replace(opening, starts_at=previous_end)
