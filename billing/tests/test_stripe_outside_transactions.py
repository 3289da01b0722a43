"""Stripe is called outside our transactions, and what it returns is stored by a short transaction
that fetches nothing (DESIGN.md §3.2). The root conftest's network guard fails any test that
reaches the emulator inside a transaction other than dj-stripe's own event processing; the tests
here also plant the defects it must catch."""

import logging

import pytest
import stripe
from django.db import transaction
from djstripe.models import Account, Customer, Price, Product, Session, Subscription

from accounts.tests.factories import CreatorFactory
from billing import stripe_api
from billing.models import Entitlement
from billing.services import checkout
from billing.stripe_client import StripeCallRefused, stripe_calls_refused
from billing.tests import stripe_objects as so
from core.testing.api import api_client_for
from core.testing.netguard import guard_network


@pytest.fixture
def creator(catalogue):
    return CreatorFactory(email="buyer@example.com")


@pytest.fixture
def subscriber(creator, emulator, deliver):
    """A creator paying for Pro: the customer and the subscription stored by its webhook."""
    sub = emulator.put(so.subscription(so.new_id("sub"), checkout.customer_for(creator).id))
    deliver(so.event("customer.subscription.created", sub))
    return creator, sub


@pytest.mark.django_db
def test_checkout_on_a_fresh_database_calls_stripe_only_outside_transactions(creator, emulator):
    # Nothing of Stripe's is stored yet: the account, the customer and the session are fetched
    # or created first, then stored (the guard fails this test on a call inside a transaction).
    response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")

    assert response.status_code == 200
    assert [(r["method"], r["path"]) for r in emulator.requests] == [
        ("GET", "/v1/account"), ("POST", "/v1/customers"), ("POST", "/v1/checkout/sessions"),
    ]
    assert Account.objects.filter(id="acct_emulator").exists()
    assert Session.objects.filter(customer__subscriber=creator).count() == 1


@pytest.mark.django_db
def test_the_guard_catches_dj_stripe_fetching_the_account_inside_our_transaction(creator, emulator):
    # The defect this change removed: storing the Checkout session synced an object whose owner
    # account was not stored yet, and dj-stripe fetched it inside our transaction.
    session = stripe.checkout.Session.create(customer="cus_x", mode="subscription", api_key=stripe_api.api_key())

    with guard_network() as violations:
        with pytest.raises(stripe.APIConnectionError):
            with transaction.atomic():
                Session.sync_from_stripe_data(session, api_key=stripe_api.api_key())

    assert violations and "inside an open transaction" in violations[0]


@pytest.mark.django_db
def test_the_guard_allows_the_emulator_inside_dj_stripe_event_processing_only(subscriber, emulator, deliver):
    _, sub = subscriber
    Subscription.objects.filter(id=sub["id"]).delete()
    emulator.requests.clear()

    # An event from the same second as the one applied: its order is unknown, so the handler
    # re-reads the subscription inside dj-stripe's event transaction: allowed. (The second is
    # the applied one's, not the clock's: a slow run crossing a second got no re-read.)
    applied = Entitlement.objects.get(stripe_subscription_id=sub["id"]).stripe_event_created
    updated = so.event("customer.subscription.updated", sub, created=int(applied.timestamp()))
    assert deliver(updated).status_code == 200
    assert emulator.calls("GET", f"/v1/subscriptions/{sub['id']}")

    # The same read inside a transaction of ours: a violation (stripe-python wraps it).
    with guard_network() as violations:
        with pytest.raises(stripe.APIConnectionError, match="NetworkIOViolation"):
            with transaction.atomic():
                stripe.Subscription.retrieve(sub["id"], api_key=stripe_api.api_key())
    assert violations


@pytest.mark.django_db
def test_inside_stripe_calls_refused_no_request_leaves(creator, emulator):
    with stripe_calls_refused("a test"):
        with pytest.raises(StripeCallRefused, match="refused: a test"):
            stripe.Customer.retrieve("cus_any", api_key=stripe_api.api_key())

    assert emulator.requests == []


@pytest.mark.django_db
def test_resync_stores_a_subscription_no_webhook_told_us_about_without_fetching(creator, emulator, caplog):
    # The webhooks for this subscription never arrived: neither it nor its product is stored.
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id, plan="studio"))
    emulator.requests.clear()

    with caplog.at_level(logging.WARNING, logger="djstripe.models.base"):
        entitlement = checkout.customer_resync(user=creator)

    # One call (the listing, with the prices and products expanded); the store fetched nothing,
    # not even the product's features (refused and skipped by dj-stripe).
    assert [(r["method"], r["path"]) for r in emulator.requests] == [("GET", "/v1/subscriptions")]
    assert emulator.requests[0]["params"]["expand"] == ["data.items.data.price.product"]
    assert entitlement.plan_id == "studio" and entitlement.status == "active"
    assert Subscription.objects.filter(id=sub["id"]).exists()
    assert Product.objects.filter(id="prod_studio").exists() and Price.objects.filter(id="price_studio_monthly").exists()
    assert "Failed to fetch product features for prod_studio" in caplog.text


@pytest.mark.django_db
def test_cancel_sends_the_expansion_and_stores_without_a_further_call(subscriber, emulator):
    creator, sub = subscriber
    emulator.requests.clear()

    api_client_for(creator).post("/api/v1/billing/cancel")

    assert [(r["method"], r["path"]) for r in emulator.requests] == [("POST", f"/v1/subscriptions/{sub['id']}")]
    assert emulator.requests[0]["params"]["expand"] == ["items.data.price.product"]


def _nothing_stored_for(creator):
    return {
        "customers": Customer.objects.filter(subscriber=creator).count(),
        "sessions": Session.objects.filter(customer__subscriber=creator).count(),
        "entitlement": list(Entitlement.objects.filter(user=creator).values_list("status", "cancel_at_period_end")),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("failing", [("GET", "/v1/account"), ("POST", "/v1/customers"), ("POST", "/v1/checkout/sessions")])
def test_a_stripe_failure_at_any_step_of_checkout_is_a_502_and_stores_nothing_new(creator, emulator, failing):
    emulator.fail(*failing)
    before = _nothing_stored_for(creator)

    response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")

    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unavailable"
    assert Session.objects.filter(customer__subscriber=creator).count() == before["sessions"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/billing/cancel", "/api/v1/billing/resume", "/api/v1/billing/portal"])
def test_a_stripe_failure_on_cancel_resume_or_portal_is_a_502_and_changes_nothing(subscriber, emulator, path):
    creator, sub = subscriber
    emulator.fail("POST", f"/v1/subscriptions/{sub['id']}")
    emulator.fail("POST", "/v1/billing_portal/sessions")
    before = _nothing_stored_for(creator)

    response = api_client_for(creator).post(path)

    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unavailable"
    assert _nothing_stored_for(creator) == before


@pytest.mark.django_db
def test_a_stripe_failure_on_resync_is_an_admin_message_and_changes_nothing(ops, subscriber, emulator):
    creator, _ = subscriber
    emulator.fail("GET", "/v1/subscriptions")
    entitlement = Entitlement.objects.get(user=creator)

    response = ops.post("/admin/billing/entitlement/", {"action": "resync_from_stripe", "_selected_action": [entitlement.pk]}, follow=True)

    assert response.status_code == 200 and b"did not answer" in response.content
    assert _nothing_stored_for(creator)["entitlement"] == [("active", False)]
