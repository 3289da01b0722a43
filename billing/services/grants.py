"""Billing's writes."""

from billing.locks import entitlement_qs_select_for_update
from billing.models import EntitlementStatus, Plan
from core.catalog import upsert_by_key
from core.errors import InvalidInput
from core.transactions import durable_service


@durable_service("billing.entitlement_grant")
def entitlement_grant(*, user, plan_code, current_period_end=None):
    """Give a creator a plan (ops, from the admin), replacing what they had. An empty period end
    means until changed. Stripe webhooks write the same row later."""
    if not Plan.objects.filter(code=plan_code).exists():
        raise InvalidInput(fields={"plan": [f"Unknown plan {plan_code!r}."]})
    # update_or_create locks the row (FOR UPDATE) before it writes: through the lock function,
    # so the order check sees it.
    entitlement, _ = entitlement_qs_select_for_update().update_or_create(
        user=user,
        defaults={
            "plan_id": plan_code,
            "status": EntitlementStatus.ACTIVE,
            "current_period_end": current_period_end,
            "source": "admin",
        },
    )
    return entitlement


def plans_load(*, rows, report):
    """Upsert the plan catalogue. Plans are never deleted (entitlements point at them).
    Call inside a transaction."""
    upsert_by_key(Plan, "code", rows, report)
