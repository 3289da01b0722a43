"""Fuzzing the webhook endpoint: random bodies and mutated events, signed and unsigned.
Nothing answers 500, and nothing is written for an invalid delivery."""

import json

import pytest
from django.test import Client
from djstripe.models import Event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.services import checkout
from billing.tests import stripe_objects as so
from billing.tests.conftest import WEBHOOK_SECRET

FUZZ = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
EVENT_TYPES = ["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
               "invoice.paid", "invoice.payment_failed", "checkout.session.completed", "customer.updated"]


def _post(endpoint, body, signature):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return Client(raise_request_exception=False).post(
        f"/stripe/webhook/{endpoint.djstripe_uuid}/", body, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_random_bodies_signed_or_not_are_400_and_write_nothing(webhook_endpoint, emulator):
    @given(body=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))),
           signed=st.booleans())
    @FUZZ
    def fuzz(body, signed):
        response = _post(webhook_endpoint, body, so.signature(WEBHOOK_SECRET if signed else "whsec_forged", body))
        assert response.status_code == 400

    fuzz()
    assert not Event.objects.exists() and not Entitlement.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_mutated_events_never_answer_500(webhook_endpoint, emulator, catalogue):
    customer_id = checkout.customer_for(CreatorFactory(email="fuzzed@example.com")).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    inv = emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"]))
    bases = [sub, inv]

    @given(event_type=st.sampled_from(EVENT_TYPES + ["made.up", ""]), base=st.sampled_from(bases),
           dropped=st.sets(st.sampled_from(["customer", "status", "items", "lines", "id", "object", "parent"])),
           extra=st.dictionaries(st.sampled_from(["customer", "status", "amount_paid", "items"]),
                                 st.one_of(st.none(), st.integers(), st.text(max_size=20)), max_size=2),
           tamper=st.booleans())
    @FUZZ
    def fuzz(event_type, base, dropped, extra, tamper):
        obj = {k: v for k, v in base.items() if k not in dropped} | extra
        event = so.event(event_type, obj)
        body = so.encode(event)
        signature = so.signature(WEBHOOK_SECRET, body)
        if tamper:
            body = body.replace('"livemode":false', '"livemode":true')
        response = _post(webhook_endpoint, body, signature)
        assert response.status_code in (200, 400), (response.status_code, json.dumps(event)[:300])
        if tamper:
            assert response.status_code == 400 and not Event.objects.filter(id=event["id"]).exists()

    fuzz()
