"""The plan rules, in one place (DESIGN.md §2): which subscription statuses pay, the grace window
for a late renewal, how long past_due keeps access, which roadmap days a plan covers, and the same
rule as SQL for the audit and the bench. Every other module calls these; none restates them.

- `active` / `trialing` grant the plan until the period ends, plus the renewal grace window
  (`BILLING_RENEWAL_GRACE_HOURS`): Stripe renews at the period end and its webhook can arrive
  late, so a paying creator is not locked out in between.
- `past_due` grants the plan until the end of the last period the creator *paid* for
  (`Entitlement.paid_through`, kept from our Payments), never the new, unpaid period.
- anything else is the free plan.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from billing.models import EntitlementStatus, PlanCode

PAYING_STATUSES = frozenset({EntitlementStatus.ACTIVE, EntitlementStatus.TRIALING})
# Statuses a creator can still manage (cancel, resume) from our pages.
MANAGEABLE_STATUSES = PAYING_STATUSES | {EntitlementStatus.PAST_DUE}


def renewal_grace():
    return datetime.timedelta(hours=settings.BILLING_RENEWAL_GRACE_HOURS)


def is_paying(status):
    return status in PAYING_STATUSES


def plan_code_effective(entitlement, *, now=None):
    """The plan code an entitlement row grants at `now` (free for no row)."""
    if entitlement is None:
        return PlanCode.FREE
    now = now or timezone.now()
    period_end = entitlement.current_period_end
    if entitlement.status in PAYING_STATUSES and (period_end is None or now < period_end + renewal_grace()):
        return entitlement.plan_id
    paid_through = entitlement.paid_through
    if entitlement.status == EntitlementStatus.PAST_DUE and paid_through is not None and now < paid_through:
        return entitlement.plan_id
    return PlanCode.FREE


def plan_code_sql(*, alias, now):
    """The same rule as a SQL expression over the entitlement row `alias` (NULL row: free), and
    its parameters, for raw queries (the audit, the bench's hand-written reference)."""
    sql = (
        f"CASE WHEN {alias}.status IN (%s, %s) AND ({alias}.current_period_end IS NULL "
        f"OR {alias}.current_period_end > %s) THEN {alias}.plan_id "
        f"WHEN {alias}.status = %s AND {alias}.paid_through > %s THEN {alias}.plan_id ELSE %s END"
    )
    params = [*sorted(PAYING_STATUSES), now - renewal_grace(), EntitlementStatus.PAST_DUE, now, PlanCode.FREE]
    return sql, params


def plan_covers_day(plan, day):
    """Whether `plan` opens roadmap day `day`."""
    return day <= plan.roadmap_days


def days_every_plan_covers(plans):
    """The days open on every plan (the free plan's 30): no plan needs reading for them."""
    return min((plan.roadmap_days for plan in plans), default=0)
