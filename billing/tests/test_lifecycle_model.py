"""Billing always ends where Stripe ends: the model-based check (billing/tests/lifecycle_check.py)
on a fixed budget, sequential on any database and concurrent on PostgreSQL; and, for each
defect the check guards against, the defect planted back in and the check seen to fail."""

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from billing.tests import lifecycle_check

BUDGET = int(os.environ.get("LIFECYCLE_EXAMPLES", "200"))
CHECK = settings(max_examples=BUDGET, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# A planted defect must be found by a fixed, reproducible search (no shrinking: we only need to
# see it fail).
PLANTED = settings(max_examples=400, deadline=None, database=None, derandomize=True,
                   phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def _property(deliver, emulator, *, concurrent=False, budget=CHECK):
    @given(data=st.data())
    @budget
    def every_lifecycle_ends_where_stripe_ends(data):
        lifecycle_check.lifecycle_run(data, deliver=deliver, emulator=emulator, concurrent=concurrent)

    return every_lifecycle_ends_where_stripe_ends


@pytest.mark.django_db
def test_any_order_duplicates_and_late_deliveries_end_where_stripe_ends(catalogue, emulator, deliver):
    _property(deliver, emulator)()
    print(f"\nlifecycles: {lifecycle_check.TRIED['lifecycles']}, delivery orders: {len(lifecycle_check.TRIED['orders'])}, "
          f"events: {lifecycle_check.TRIED['events']}, deliveries: {lifecycle_check.TRIED['deliveries']}, "
          f"steps: {dict(lifecycle_check.TRIED['steps'])}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_end_where_stripe_ends(catalogue, emulator, deliver):
    budget = settings(CHECK, max_examples=max(BUDGET // 4, 10))
    _property(deliver, emulator, concurrent=True, budget=budget)()


def _old_mark_past_due(*, user, subscription_id, invoice, event_created):
    """The defect: past_due set from the event alone, without the invoice's state or time."""
    from billing import jobs
    from billing.locks import entitlement_qs_select_for_update
    from billing.plan_rules import PAYING_STATUSES
    from core.email import email_enqueue

    entitlement_qs_select_for_update().filter(
        user=user, stripe_subscription_id=subscription_id, status__in=sorted(PAYING_STATUSES)
    ).update(status="past_due")
    email_enqueue(jobs.send_payment_failed_email, user.pk, invoice["id"])
    return True


def _stamping_our_clock(*, user, subscription_id, data):
    """The defect: a state we stored from our own call stamped with our clock (microseconds)."""
    from django.utils import timezone

    from billing.services import stripe_sync

    entitlement = stripe_sync._entitlement_locked(user)
    return stripe_sync._apply(entitlement, user=user, subscription_id=subscription_id, data=data, event_created=timezone.now())


def _minute_key(action, *, user, intent_key, **what):
    """The defect: the Idempotency-Key of a click derived from the clock's minute."""
    import time

    return f"{action}-{user.pk}-{sorted(what.items())}-{int(time.time() // 60)}"


def _past_due_until_the_unpaid_period_ends(entitlement, *, now=None):
    """The defect: past_due keeps the plan until the new, unpaid, period ends."""
    from billing import plan_rules

    if entitlement is not None and entitlement.status == "past_due" and entitlement.current_period_end and now < entitlement.current_period_end:
        return entitlement.plan_id
    return plan_rules.plan_code_effective(entitlement, now=now)


PLANTED_DEFECTS = {
    # (the stale guard `if False`: every event counted as the newest, its snapshot applied as delivered)
    "stale guard replaced by `if False`": ("billing.services.stripe_sync.event_order", lambda created, newest: "newer"),
    "past_due set without checking the invoice": ("billing.services.stripe_sync.entitlement_mark_past_due", _old_mark_past_due),
    "our clock stamps stripe_event_created": ("billing.services.stripe_sync.subscription_state_apply", _stamping_our_clock),
    "minute-based Idempotency-Key": ("billing.services.checkout.intent_idempotency_key", _minute_key),
    "past_due keeps the unpaid period": ("billing.selectors.plan_code_effective", _past_due_until_the_unpaid_period_ends),
    "no grace window for a late renewal": ("settings.BILLING_RENEWAL_GRACE_HOURS", 0),
}


@pytest.mark.django_db
@pytest.mark.parametrize("defect", list(PLANTED_DEFECTS))
def test_each_planted_defect_fails_the_model_check(catalogue, emulator, deliver, monkeypatch, settings, defect):
    target, replacement = PLANTED_DEFECTS[defect]
    if target.startswith("settings."):
        setattr(settings, target.removeprefix("settings."), replacement)
    else:
        monkeypatch.setattr(target, replacement)

    with pytest.raises(AssertionError):
        _property(deliver, emulator, budget=PLANTED)()
