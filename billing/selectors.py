"""Billing's reads."""

from billing.locks import entitlement_qs_select_for_update
from billing.models import Entitlement, Payment, Plan
from billing.plan_rules import plan_code_effective
from core.catalog import catalogue_cached
from core.rawsql import ModelRow


def plans_catalogue(*, version):
    """Every plan by code, read once per process and catalogue version (`version` from
    core.catalog.catalogue_version): shared by the process's requests, so read-only."""
    return catalogue_cached("billing.plans", version, lambda: {plan.code: plan for plan in Plan.objects.all()})


# Hand-written SQL (core.rawsql): every roadmap and dashboard reads it, and the ORM's query
# building cost more CPU than the statement (a read of the unique user index).
_ENTITLEMENT = ModelRow(Entitlement, "user")


def _entitlement_of(user):
    return _ENTITLEMENT.get([user.pk])


def plan_for(user, *, now=None, catalogue_version=None):
    """The Plan the creator may use now: the entitlement with its plan, plus the free plan when
    the entitlement grants nothing. Given `catalogue_version` (core.catalog), the plans come from
    the process's copy of the catalogue and this is one small query in every case."""
    if catalogue_version is not None:
        return plans_catalogue(version=catalogue_version)[plan_code_effective(_entitlement_of(user), now=now)]
    entitlement = Entitlement.objects.select_related("plan").filter(user=user).first()
    code = plan_code_effective(entitlement, now=now)
    if entitlement is not None and code == entitlement.plan_id:
        return entitlement.plan
    return Plan.objects.get(code=code)


def plan_code_locked(*, user_id, now=None):
    """The creator's plan code, read under a lock on their entitlement row so that a plan
    change cannot interleave with what the caller decides from it. No row (free) locks
    nothing. One query. Call inside a transaction, after any stats lock and before any usage
    counter's (core.locks.LOCK_ORDER)."""
    entitlement = entitlement_qs_select_for_update().filter(user_id=user_id).first()
    return plan_code_effective(entitlement, now=now)


def plans_all():
    return list(Plan.objects.all())


def billing_overview(*, user, now=None):
    """What the billing page shows: the plan in force, the entitlement behind it (or None),
    and the payment history. Three queries."""
    entitlement = Entitlement.objects.select_related("plan").filter(user=user).first()
    return {
        "plan": plan_for(user, now=now),
        "entitlement": entitlement,
        "payments": list(Payment.objects.filter(user=user).select_related("plan")[:24]),
    }


def customer_subscriber(customer_id):
    """The creator a Stripe customer id belongs to, or None (a customer we do not know, or one
    whose creator is gone)."""
    from djstripe.models import Customer

    customer = Customer.objects.select_related("subscriber").filter(id=customer_id).first()
    return customer.subscriber if customer is not None else None
