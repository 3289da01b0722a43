import pytest
import stripe
from django.test import Client

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement
from billing.services import checkout
from billing.tests import stripe_objects as so
from core.testing.api import api_client_for
from core.testing.netguard import guard_network


@pytest.fixture
def creator(catalogue):
    return CreatorFactory(email="buyer@example.com")


@pytest.mark.django_db
def test_checkout_returns_a_stripe_url_for_the_right_price_with_an_idempotency_key(creator, emulator):
    response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "studio", "interval": "year"}, format="json")

    assert response.status_code == 200
    assert response.json()["url"].startswith(f"{emulator.url}/checkout/cs_test_")
    [call] = emulator.calls("POST", "/v1/checkout/sessions")
    assert call["params"]["line_items"] == [{"price": "price_studio_yearly", "quantity": "1"}]
    assert call["params"]["mode"] == "subscription" and call["params"]["client_reference_id"] == str(creator.pk)
    assert call["idempotency_key"].startswith("checkout-")
    from djstripe.models import Session

    assert Session.objects.filter(customer__subscriber=creator).count() == 1  # stored after the call


@pytest.mark.django_db
def test_a_double_click_reuses_the_same_checkout_session(creator, emulator):
    api = api_client_for(creator)
    first = api.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json", HTTP_IDEMPOTENCY_KEY="click-1").json()["url"]
    second = api.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json", HTTP_IDEMPOTENCY_KEY="click-1").json()["url"]
    third = api.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json", HTTP_IDEMPOTENCY_KEY="click-2").json()["url"]
    assert first == second != third and len(emulator.calls("POST", "/v1/customers")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("payload, field", [({"plan": "free"}, "plan"), ({"plan": "gold"}, "plan"), ({"plan": "pro", "interval": "week"}, "interval")])
def test_checkout_refuses_bad_input_without_calling_stripe(creator, emulator, payload, field):
    response = api_client_for(creator).post("/api/v1/billing/checkout", payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert emulator.requests == []


@pytest.mark.django_db
def test_stripe_down_is_a_clean_502_and_nothing_is_stored(creator, emulator):
    emulator.stop()
    response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unavailable"


@pytest.mark.django_db
def test_portal_needs_a_billing_account_then_returns_the_portal_url(creator, emulator):
    api = api_client_for(creator)
    assert api.post("/api/v1/billing/portal").status_code == 409
    api.post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")

    response = api.post("/api/v1/billing/portal")

    assert response.status_code == 200 and response.json()["url"].startswith(f"{emulator.url}/portal/bps_")


@pytest.mark.django_db
def test_cancel_at_period_end_and_resume(creator, emulator, deliver):
    from billing.services.checkout import customer_for

    customer_id = customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    deliver(so.event("customer.subscription.created", sub))
    api = api_client_for(creator)

    cancelled = api.post("/api/v1/billing/cancel").json()
    assert cancelled["cancel_at_period_end"] is True and cancelled["status"] == "active"
    assert emulator.get(sub["id"])["cancel_at_period_end"] is True
    assert Entitlement.objects.get(user=creator).cancel_at_period_end is True

    resumed = api.post("/api/v1/billing/resume").json()
    assert resumed["cancel_at_period_end"] is False and emulator.get(sub["id"])["cancel_at_period_end"] is False


@pytest.mark.django_db
def test_cancel_without_a_subscription_is_409(creator, emulator):
    response = api_client_for(creator).post("/api/v1/billing/cancel")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


@pytest.mark.django_db
def test_a_call_to_the_real_stripe_is_caught_by_the_network_guard(creator, emulator):
    stripe.api_base = "https://api.stripe.com"
    with guard_network() as violations:
        response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 502
    assert any("non-loopback" in v for v in violations)


@pytest.mark.django_db
def test_pricing_and_billing_pages(creator, emulator, deliver):
    assert b"$9.99" in Client().get("/pricing/").content
    client = Client()
    client.force_login(creator)
    assert b"You are on the free plan" in client.get("/billing/").content

    redirect = client.post("/billing/checkout/", {"plan": "pro", "interval": "month"})
    assert redirect.status_code == 302 and redirect.url.startswith(emulator.url)
    # Back from Checkout before Stripe's confirmation: the page says the plan is on its way.
    assert "as soon as Stripe confirms the payment" in client.get("/billing/?checkout=success").content.decode()

    from billing.services.checkout import customer_for

    sub = emulator.put(so.subscription(so.new_id("sub"), customer_for(creator).id))
    inv = emulator.put(so.invoice(so.new_id("in"), customer_for(creator).id, sub["id"]))
    deliver(so.event("customer.subscription.created", sub))
    deliver(so.event("invoice.paid", inv))

    html = client.get("/billing/?checkout=success").content.decode()
    assert "You are on Pro Creator: all 90 days of your roadmap are open." in html
    assert "Your plan: Pro Creator" in html and "renews on" in html and "9.99 USD" in html
    assert "Cancel at period end" in html and "Manage billing" in html


@pytest.mark.django_db
def test_without_a_stripe_key_checkout_says_payments_are_not_set_up(creator, settings, emulator):
    settings.STRIPE_TEST_SECRET_KEY = ""
    response = api_client_for(creator).post("/api/v1/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 502 and "not set up" in response.json()["error"]["message"]
    assert emulator.requests == []


@pytest.mark.django_db
def test_cancel_resume_cancel_within_a_minute_are_three_intents_and_a_double_click_one(creator, emulator, deliver):
    # Planted: the minute-based key (cancel-at-period-end-<sub>-<cancel>-<minute>) replays the first
    # cancel for the third click: Stripe's subscription stays renewing and this test fails.
    import re

    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    deliver(so.event("customer.subscription.created", sub))
    client = Client()
    client.force_login(creator)

    def click(button):
        page = client.get("/billing/").content.decode()
        form = re.search(rf'action="/billing/{button}/">.*?name="intent_key" value="(\w+)"', page, re.S)
        return form.group(1)

    cancel_key = click("cancel")
    client.post("/billing/cancel/", {"intent_key": cancel_key})
    client.post("/billing/cancel/", {"intent_key": cancel_key})  # double click: the same intent
    client.post("/billing/resume/", {"intent_key": click("resume")})
    client.post("/billing/cancel/", {"intent_key": click("cancel")})

    modifies = emulator.calls("POST", f"/v1/subscriptions/{sub['id']}")
    assert len(modifies) == 4 and len({call["idempotency_key"] for call in modifies}) == 3
    assert emulator.get(sub["id"])["cancel_at_period_end"] is True
    assert Entitlement.objects.get(user=creator).cancel_at_period_end is True


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["plan", "interval", "intent_key"])
def test_the_checkout_form_refuses_a_value_no_page_renders_and_calls_nothing(field, monkeypatch, catalogue):
    """The billing pages read their fields through forms (billing/forms.py): an overlong value is
    a message on the billing page, and Stripe is never asked."""
    from django.test import Client

    from accounts.tests.factories import CreatorFactory
    from billing.services import checkout

    monkeypatch.setattr(checkout, "checkout_start", lambda **kwargs: pytest.fail("Stripe was asked"))
    browser = Client()
    browser.force_login(CreatorFactory())
    response = browser.post("/billing/checkout/", {"plan": "pro", "interval": "month", field: "x" * 100}, follow=True)
    assert response.redirect_chain[0][0] == "/billing/" and "not one we offer" in response.content.decode()
