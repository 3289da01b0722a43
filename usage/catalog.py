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
    # Local midnight; where midnight falls in a DST gap, zoneinfo (fold=0) gives the instant the
    # new day's first existing minute starts.
    midnight = datetime.datetime.combine(ends_on, datetime.time.min, tzinfo=tz)
    return Period(start, ends_on, midnight.astimezone(datetime.timezone.utc))
