import pytest
from django.core.management import call_command
from django.test import Client
from djstripe.models import WebhookEndpoint

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement
from billing.services import checkout
from billing.tests import stripe_objects as so
from core.faults import fail_on_write_to


@pytest.mark.django_db
def test_failed_deliveries_are_listed_with_their_error(ops, catalogue, emulator, deliver):
    creator = CreatorFactory()
    sub = emulator.put(so.subscription(so.new_id("sub"), checkout.customer_for(creator).id))
    with fail_on_write_to("billing_entitlement"):
        deliver(so.event("customer.subscription.created", sub), client=Client(raise_request_exception=False))
    deliver(so.event("customer.subscription.created", sub), secret="whsec_wrong")

    listing = ops.get("/admin/billing/failedwebhookdelivery/").content.decode()

    assert listing.count("customer.subscription.created") == 2 and "fault injected on write to billing_entitlement" in listing


@pytest.mark.django_db
def test_resync_applies_the_subscription_stripe_has_now(ops, catalogue, emulator, deliver):
    creator = CreatorFactory()
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    deliver(so.event("customer.subscription.created", sub))
    emulator.put({**sub, "status": "past_due"})  # a webhook we never received

    entitlement = Entitlement.objects.get(user=creator)
    response = ops.post("/admin/billing/entitlement/", {"action": "resync_from_stripe", "_selected_action": [entitlement.pk]}, follow=True)

    assert b"resynced from Stripe" in response.content
    assert Entitlement.objects.get(user=creator).status == "past_due"


@pytest.mark.django_db
def test_payments_are_listed_read_only(ops, catalogue, emulator, deliver):
    creator = CreatorFactory(email="paid@example.com")
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    deliver(so.event("invoice.paid", emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"]))))

    listing = ops.get("/admin/billing/payment/", {"q": "paid@"}).content.decode()

    assert "paid@example.com" in listing and "9.99" in listing
    assert ops.get("/admin/billing/payment/add/").status_code == 403


@pytest.mark.django_db
def test_webhook_endpoint_command_creates_once_and_shows_the_secret(settings, capsys, emulator):
    settings.SITE_URL = "https://app.example.com"
    call_command("stripe_webhook_endpoint")
    first = capsys.readouterr().out
    call_command("stripe_webhook_endpoint")
    second = capsys.readouterr().out

    endpoint = WebhookEndpoint.objects.get()
    assert first == second and f"url:    https://app.example.com/stripe/webhook/{endpoint.djstripe_uuid}/" in first
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in first
    [call] = emulator.calls("POST", "/v1/webhook_endpoints")
    assert "invoice.paid" in call["params"]["enabled_events"]
