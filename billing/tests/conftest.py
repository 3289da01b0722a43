import uuid

import pytest
from django.test import Client

from billing.tests import stripe_objects

WEBHOOK_SECRET = "whsec_test_creatorcompass"


@pytest.fixture
def webhook_endpoint(db):
    from djstripe.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        id="we_test_creatorcompass", livemode=False, url="http://testserver/stripe/webhook/",
        enabled_events=["*"], secret=WEBHOOK_SECRET, status="enabled", djstripe_uuid=uuid.uuid4(),
        api_version="2026-05-27.dahlia",
    )


@pytest.fixture
def deliver(webhook_endpoint):
    """POST an event to our webhook URL, signed like Stripe signs it (or not, or badly)."""

    def send(payload, *, secret=WEBHOOK_SECRET, timestamp=None, signed=True, client=None):
        body = stripe_objects.encode(payload)
        headers = {"HTTP_STRIPE_SIGNATURE": stripe_objects.signature(secret, body, timestamp)} if signed else {}
        return (client or Client()).post(
            f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/", body, content_type="application/json", **headers
        )

    return send
