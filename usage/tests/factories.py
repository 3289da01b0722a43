import datetime

import factory

from accounts.tests.factories import CreatorFactory
from billing.models import EntitlementStatus
from billing.tests.factories import EntitlementFactory
from usage.models import Feature, UsageCounter

UTC = datetime.timezone.utc


class UsageCounterFactory(factory.django.DjangoModelFactory):
    """A counter row as usage_consume leaves it (use it to set up 'already used N')."""

    class Meta:
        model = UsageCounter

    feature = Feature.IDEAS
    period_start = datetime.date(2026, 1, 15)
    starts_at = factory.LazyAttribute(lambda c: datetime.datetime.combine(c.period_start, datetime.time.min, tzinfo=UTC))
    resets_at = factory.LazyAttribute(
        lambda c: datetime.datetime.combine(c.period_start + datetime.timedelta(days=1), datetime.time.min, tzinfo=UTC)
    )
    used = 0


def creator_on(plan_code="free", **signup):
    """A creator (through signup) on a plan: free means no entitlement row."""
    user = CreatorFactory(**signup)
    if plan_code != "free":
        EntitlementFactory(user=user, plan_id=plan_code, status=EntitlementStatus.ACTIVE)
    return user


def used_of(user, feature, period_start=None):
    """`used` of the creator's counter (of one period, or the only one); None: no row."""
    rows = UsageCounter.objects.filter(user=user, feature=feature)
    if period_start is not None:
        rows = rows.filter(period_start=period_start)
    values = list(rows.values_list("used", flat=True))
    assert len(values) <= 1, f"{len(values)} counters for {feature}"
    return values[0] if values else None
