"""The webhook view's intake: what is a 400, what is a 500, what is kept of a delivery, and the
retention command. Each test names the defect it was seen to catch."""

import datetime

import psycopg
import pytest
from django.core.management import call_command
from django.test import Client
from djstripe.models import Event, WebhookEventTrigger

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.services import checkout, stripe_sync
from billing.tests import stripe_objects as so
from billing.tests.conftest import WEBHOOK_SECRET
from core.metrics import WEBHOOK_EVENTS
from core.testing.dberrors import as_django


@pytest.fixture
def customer_id(catalogue, emulator):
    return checkout.customer_for(CreatorFactory(email="intake@example.com")).id


@pytest.mark.django_db
def test_a_nul_customer_id_is_a_400_not_a_500(webhook_endpoint, customer_id, emulator, deliver):
    # Found by the fuzz on PostgreSQL (a NUL in a text parameter): answered 500, retried forever.
    sub = so.subscription(so.new_id("sub"), customer_id) | {"customer": "\u0000"}
    response = deliver(so.event("customer.subscription.updated", sub))
    assert response.status_code == 400 and not Event.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [-1, "12", 1.5, True])
def test_an_invoice_whose_amount_is_not_whole_cents_is_a_400_not_a_500(webhook_endpoint, customer_id, emulator, deliver, amount):
    # Found by the fuzz in CI: amount_paid -1 broke the Payment's check constraint, a 500 retried forever.
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    invoice = emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"])) | {"amount_paid": amount}
    response = deliver(so.event("invoice.paid", invoice))
    assert response.status_code == 400 and not Event.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_bug_in_our_handler_is_a_500_logged_with_its_traceback_and_counted(customer_id, emulator, deliver, monkeypatch, caplog):
    # Planted: a 400 "malformed event" for our TypeError (the old view) fails the status assertion.
    def broken(**kwargs):
        raise TypeError("our bug")

    monkeypatch.setattr(stripe_sync, "subscription_event_apply", broken)
    failed = WEBHOOK_EVENTS.labels("customer.subscription.created", "failed")
    before = failed._value.get()
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))

    response = deliver(so.event("customer.subscription.created", sub), client=Client(raise_request_exception=False))

    assert response.status_code == 500
    assert failed._value.get() == before + 1
    assert any(r.name == "creatorcompass.billing" and r.exc_info and "our bug" in str(r.exc_info[1]) for r in caplog.records)
    trigger = WebhookEventTrigger.objects.get()
    assert "TypeError" in trigger.traceback and not Entitlement.objects.exists()


@pytest.mark.django_db
def test_an_invalid_delivery_keeps_a_small_record_without_cookies(customer_id, emulator, deliver, webhook_endpoint):
    # Planted: storing dj-stripe's record (the whole body, every header) fails both assertions.
    sub = so.subscription(so.new_id("sub"), customer_id) | {"metadata": {"pad": "x" * 100_000}}
    body = so.encode(so.event("customer.subscription.created", sub))
    response = Client().post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/", body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=so.signature("whsec_forged", body), HTTP_COOKIE="sessionid=secret",
        HTTP_AUTHORIZATION="Token secret",
    )
    assert response.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid is False and len(trigger.body) <= 2048
    assert not {name.lower() for name in trigger.headers} & {"cookie", "authorization"}


@pytest.mark.django_db
@pytest.mark.parametrize("allowed", [False, True])
def test_the_debug_secret_header_chooses_the_secret_only_when_a_setting_allows_it(
    customer_id, emulator, webhook_endpoint, settings, allowed
):
    # Planted: dj-stripe's DEBUG override (no setting) makes the forged delivery a 200.
    settings.DEBUG = True
    settings.STRIPE_WEBHOOK_SECRET_HEADER_OVERRIDE = allowed
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    body = so.encode(so.event("customer.subscription.created", sub))
    response = Client().post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/", body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=so.signature("whsec_chosen_by_sender", body), HTTP_X_DJSTRIPE_WEBHOOK_SECRET="whsec_chosen_by_sender",
    )
    assert response.status_code == (200 if allowed else 400)
    assert Entitlement.objects.exists() is allowed


@pytest.mark.django_db
def test_valid_deliveries_are_stored_without_cookie_or_authorization(customer_id, emulator, webhook_endpoint):
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
    body = so.encode(so.event("customer.subscription.created", sub))
    response = Client().post(
        f"/stripe/webhook/{webhook_endpoint.djstripe_uuid}/", body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=so.signature(WEBHOOK_SECRET, body), HTTP_COOKIE="sessionid=secret",
    )
    assert response.status_code == 200
    assert "cookie" not in {name.lower() for name in WebhookEventTrigger.objects.get().headers}


@pytest.mark.django_db
def test_prune_deletes_old_processed_and_invalid_deliveries_and_keeps_failed_ones(webhook_endpoint, settings):
    settings.WEBHOOK_DELIVERY_RETENTION_DAYS = 30
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=31)

    def trigger(**fields):
        row = WebhookEventTrigger.objects.create(headers={}, body="{}", remote_ip="127.0.0.1", webhook_endpoint=webhook_endpoint, **fields)
        return row

    processed_old, invalid_old = trigger(valid=True, processed=True), trigger(valid=False)
    failed_old, processed_new = trigger(valid=True, processed=False, exception="boom"), trigger(valid=True, processed=True)
    WebhookEventTrigger.objects.filter(pk__in=[processed_old.pk, invalid_old.pk, failed_old.pk]).update(created=old)

    call_command("webhook_deliveries_prune")

    assert set(WebhookEventTrigger.objects.values_list("pk", flat=True)) == {failed_old.pk, processed_new.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("error, status", [
    # Seen in bench/faults.py --fault pg-restart --scaled: the delivery could not even be recorded
    # while PostgreSQL restarted, and the view answered a bare 500 that nothing logged.
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), 503),
    (psycopg.OperationalError("server login has been failing, try again later (server_login_retry)"), 503),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), 503),
    # Ours to look at, and Stripe redelivers: still a 500.
    (psycopg.errors.DiskFull("disk full"), 500),
    (RuntimeError("a bug in processing"), 500),
])
def test_a_delivery_while_the_database_is_gone_is_a_503_with_retry_after(
    webhook_endpoint, customer_id, emulator, deliver, monkeypatch, caplog, error, status
):
    def fail(*args, **kwargs):
        raise error if isinstance(error, RuntimeError) else as_django(error)

    monkeypatch.setattr(WebhookEventTrigger, "from_request", fail)
    client = Client(raise_request_exception=False)
    sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))

    response = deliver(so.event("customer.subscription.updated", sub), client=client)

    assert response.status_code == status
    if status == 503:
        assert response["Retry-After"] == "2"
        assert any("database" in record.getMessage() for record in caplog.records)
