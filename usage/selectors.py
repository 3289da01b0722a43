"""Usage's reads: the meters (used, limit, reset) of a creator in the current periods."""

import dataclasses
import datetime

from django.utils import timezone

from billing.selectors import plan_for
from usage.catalog import FEATURES, feature_spec, period_of
from usage.models import UsageCounter, counter_open_at


@dataclasses.dataclass(frozen=True)
class Meter:
    feature: str
    label: str
    noun: str
    period: str
    used: int
    limit: int | None  # None: unlimited
    resets_at: datetime.datetime | None  # None: lifetime
    resets_on: datetime.date | None  # the creator's local date of the reset
    included: int = 0  # units the plan gives before the creator does anything (the main platform)

    @property
    def unlimited(self):
        return self.limit is None

    @property
    def remaining(self):
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def at_limit(self):
        return self.limit is not None and self.used >= self.limit

    @property
    def limit_hit(self):
        """At the limit through what the creator did, not by what the plan includes from the
        start (a new free account follows its 1 platform of 1: that is the plan, said neutrally)."""
        return self.at_limit and self.used > self.included

    @property
    def percent(self):
        """How full the meter is, 0–100 (a creator above a lowered limit shows 100)."""
        if not self.limit:
            return 0
        return min(round(100 * self.used / self.limit), 100)


@dataclasses.dataclass(frozen=True)
class Usage:
    plan: object
    meters: list

    def __getitem__(self, feature):
        """usage["ideas"] (in templates: usage.ideas)."""
        for meter in self.meters:
            if meter.feature == feature:
                return meter
        raise KeyError(feature)

    @property
    def any_at_limit(self):
        return any(m.at_limit for m in self.meters)


def usage_for(user, *, now=None, features=None, plan=None):
    """The creator's meters for `features` (default: every metered feature) at `now`: what the
    open periods' counters say (their periods were fixed when they opened, in the time zone of
    then); a feature with no open period shows the one that would open now, in the creator's
    time zone. Two or three queries (the plan: billing's plan_for; the counters) whatever the
    number of features, one given `plan` (the creator's plan_for at `now`, which the page already
    read, e.g. with its roadmap); `user` comes with its profile."""
    now = now or timezone.now()
    plan = plan or plan_for(user, now=now)
    tz = user.profile.tzinfo
    specs = [feature_spec(f) for f in (features or FEATURES)]
    counters = {
        feature: (used, resets_at)
        for feature, used, resets_at in UsageCounter.objects.filter(
            counter_open_at(now), user_id=user.pk, feature__in=[spec.feature for spec in specs]
        ).values_list("feature", "used", "resets_at")
    }
    meters = []
    for spec in specs:
        used, resets_at = counters.get(spec.feature) or (spec.initial, period_of(spec.period, tz=tz, now=now).resets_at)
        meters.append(
            Meter(
                feature=spec.feature,
                label=spec.label,
                noun=spec.noun,
                period=spec.period,
                used=used,
                limit=spec.limit_for(plan.code),
                resets_at=resets_at,
                resets_on=resets_at and resets_at.astimezone(tz).date(),
                included=spec.initial,
            )
        )
    return Usage(plan=plan, meters=meters)
