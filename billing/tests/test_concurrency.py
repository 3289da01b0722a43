"""Duplicate deliveries and racing checkouts on PostgreSQL, with real threads."""

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from djstripe.models import Customer, Event

from accounts.tests.factories import CreatorFactory
from billing.models import Payment
from billing.services import checkout
from billing.tests import stripe_objects as so
from core.testing.api import api_client_for
from core.testing.concurrency import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_invoice_paid_delivered_10_times_at_once_records_one_payment(catalogue, emulator, deliver):
    creator = CreatorFactory(email="racer@example.com")
    customer_id = checkout.customer_for(creator).id
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    inv = emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"]))
    paid = so.event("invoice.paid", inv)

    statuses = race(10, lambda i: deliver(paid, client=Client(raise_request_exception=False)).status_code)

    assert statuses == [200] * 10
    assert Payment.objects.count() == 1 and Event.objects.filter(id=paid["id"]).count() == 1
    assert DBTaskResult.objects.filter(task_path="billing.jobs.send_receipt_email").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_checkouts_create_one_customer(catalogue, emulator):
    creator = CreatorFactory(email="double.click@example.com")

    responses = race(2, lambda i: api_client_for(creator).post(
        "/api/v1/billing/checkout", {"plan": "pro"}, format="json", HTTP_IDEMPOTENCY_KEY="one-click"  # a double click
    ))

    # The Idempotency-Key protocol (core.idempotency): the click that comes second while the first
    # runs is 409 idempotency_key_in_use, or the first answer replayed once it has finished.
    ran = [r for r in responses if r.status_code == 200]
    waited = [r for r in responses if r.status_code == 409]
    assert ran and len(ran) + len(waited) == 2 and len({r.json()["url"] for r in ran}) == 1
    assert all(r.json()["error"]["code"] == "idempotency_key_in_use" for r in waited)
    assert Customer.objects.filter(subscriber=creator).count() == 1
    assert len({c["idempotency_key"] for c in emulator.calls("POST", "/v1/customers")}) == 1
    assert len({r["id"] for r in [emulator.get(k) for k in emulator.objects] if r.get("object") == "customer"}) == 1
