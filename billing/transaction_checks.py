"""How `manage.py check_transactions` exercises billing: the admin grant, storing what Stripe
returned (checkout, cancel/resume/resync, the owner account), and the webhook handlers' writes as
they run inside dj-stripe's event transaction. The Stripe objects are built here: the storing
services fetch nothing (they run under stripe_calls_refused), so no network is involved."""

import datetime
import json
import time
import uuid

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.test import RequestFactory
from djstripe.models import APIKey, Customer, WebhookEndpoint, WebhookEventTrigger

from accounts.transaction_checks import check_creator
from billing.services import checkout, grants, restore_reconcile, stripe_sync
from billing.stripe_client import stripe_calls_refused
from billing.testing.stripe_emulator import StripeEmulator, invoice_object, subscription_object, webhook_signature
from billing.views import StripeWebhookView
from core.testing.netguard import allow_in_djstripe_event_processing
from core.transaction_checks import scenario

# A key of the right shape: the scenarios store with it and never call Stripe.
_CHECK_API_KEY = "sk_test_" + "check" * 6
_ACCOUNT = {"id": "acct_check", "object": "account", "type": "standard", "country": "US", "default_currency": "usd",
            "email": "check@check.invalid", "charges_enabled": True, "payouts_enabled": True, "metadata": {},
            "settings": {"dashboard": {"display_name": "check"}}}


def _stripe_customer(creator):
    """The creator's Stripe customer stored as checkout would leave it (the owner account first,
    as owner_account_ready does), built here instead of fetched."""
    api_key = _CHECK_API_KEY
    if not APIKey.objects.filter(secret=api_key, djstripe_owner_account__isnull=False).exists():
        checkout.owner_account_store(api_key=api_key, data={**_ACCOUNT, "created": int(time.time())})
    data = {"id": f"cus_check_{creator.pk}", "object": "customer", "livemode": settings.STRIPE_LIVE_MODE,
            "created": int(time.time()), "email": creator.email, "metadata": {"djstripe_subscriber": str(creator.pk)},
            "invoice_settings": {"default_payment_method": None}, "default_source": None, "deleted": False}
    with stripe_calls_refused("a check_transactions scenario"):
        return Customer.sync_from_stripe_data(data, api_key=api_key)


def _subscription_data(status="active"):
    now = int(time.time())
    return {
        "id": "sub_check", "object": "subscription", "status": status, "cancel_at_period_end": False,
        "items": {"data": [{"current_period_end": now + 30 * 86400, "price": {"id": settings.STRIPE_PRICES[("pro", "month")]}}]},
    }


def _subscriber(created):
    """A creator whose Pro subscription `sub_check` is active (its entitlement stored)."""
    creator = check_creator()
    stripe_sync.subscription_event_apply(
        user=creator, subscription_id="sub_check", snapshot=_subscription_data(), reread=_subscription_data,
        event_created=created,
    )
    return creator


@scenario("billing.checkout_record", reaches=("djstripe_session",))
def checkout_record():
    customer = _stripe_customer(check_creator())
    session = {"id": f"cs_check_{customer.id}", "object": "checkout.session", "livemode": settings.STRIPE_LIVE_MODE,
               "created": int(time.time()), "customer": customer.id, "mode": "subscription", "status": "open",
               "payment_status": "unpaid", "subscription": None, "url": "https://checkout.stripe.test/check",
               "success_url": "https://check.invalid/ok", "cancel_url": "https://check.invalid/no", "metadata": {},
               "expires_at": int(time.time()) + 86400, "currency": "usd", "amount_total": None}
    return lambda: checkout.checkout_record(session=session, api_key=_CHECK_API_KEY)


@scenario("billing.subscription_store", reaches=("djstripe_subscription", "billing_entitlement.plan_id"))
def subscription_store():
    creator = check_creator()
    customer = _stripe_customer(creator)
    now = int(time.time())
    price = {"id": settings.STRIPE_PRICES[("pro", "month")], "object": "price", "active": True, "currency": "usd",
             "unit_amount": 999, "recurring": {"interval": "month", "interval_count": 1}, "type": "recurring",
             "livemode": settings.STRIPE_LIVE_MODE, "created": now, "metadata": {},
             "product": {"id": "prod_check_pro", "object": "product", "active": True, "name": "Pro (check)",
                         "created": now, "livemode": settings.STRIPE_LIVE_MODE, "metadata": {}, "type": "service"}}
    # As stripe-python hands it over (its lists are ListObjects, which dj-stripe pages through).
    data = stripe.Subscription.construct_from(
        subscription_object(f"sub_check_{creator.pk}", customer.id, price, period_start=now - 86400,
                            period_end=now + 29 * 86400),
        _CHECK_API_KEY,
    )
    return lambda: checkout.subscription_store(user=creator, data=data, api_key=_CHECK_API_KEY)


@scenario("billing.entitlement_grant", reaches=("billing_entitlement.plan_id",))
def grant():
    creator = check_creator()
    return lambda: grants.entitlement_grant(user=creator, plan_code="pro")


def _price():
    now = int(time.time())
    return {"id": settings.STRIPE_PRICES[("pro", "month")], "object": "price", "active": True, "currency": "usd",
            "unit_amount": 999, "recurring": {"interval": "month", "interval_count": 1}, "type": "recurring",
            "livemode": settings.STRIPE_LIVE_MODE, "created": now, "metadata": {},
            "product": {"id": "prod_check_pro", "object": "product", "active": True, "name": "Pro (check)",
                        "created": now, "livemode": settings.STRIPE_LIVE_MODE, "metadata": {}, "type": "service"}}


_EMULATOR = []
_WEBHOOK_SECRET = "whsec_check_transactions"


def _stripe_stand_in():
    """The local Stripe API emulator (loopback, started once per process): what dj-stripe and our
    handlers read from Stripe while a delivery is processed is answered here, never by Stripe."""
    if not _EMULATOR:
        _EMULATOR.append(StripeEmulator().start())
    return _EMULATOR[0]


def _webhook_endpoint():
    return WebhookEndpoint.objects.create(
        id=f"we_check_{uuid.uuid4().hex[:12]}", livemode=settings.STRIPE_LIVE_MODE, url="https://check.invalid/",
        enabled_events=["*"], secret=_WEBHOOK_SECRET, status="enabled", djstripe_uuid=uuid.uuid4(),
        api_version=settings.STRIPE_API_VERSION,
    )


def _delivered(event_type, obj, *, stand_in):
    """A run that delivers `event_type` about `obj`, signed, to the real webhook view (dj-stripe's
    intake, its Event transaction, our handlers), with Stripe's API answered by the emulator
    holding `stand_in`."""
    endpoint = _webhook_endpoint()
    server = _stripe_stand_in()
    for stripe_object in stand_in:
        server.put(stripe_object)
    event = {"id": f"evt_check_{uuid.uuid4().hex[:16]}", "object": "event", "api_version": settings.STRIPE_API_VERSION,
             "created": int(time.time()), "livemode": settings.STRIPE_LIVE_MODE, "type": event_type,
             "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}
    body = json.dumps(event, separators=(",", ":"))
    view = StripeWebhookView.as_view()

    def run():
        request = RequestFactory().post(
            f"/stripe/webhook/{endpoint.djstripe_uuid}/", body, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=webhook_signature(_WEBHOOK_SECRET, body),
        )
        previous, stripe.api_base = stripe.api_base, server.url
        try:
            with allow_in_djstripe_event_processing(server.port, "check_transactions: the Stripe emulator"):
                response = view(request, uuid=endpoint.djstripe_uuid)
        finally:
            stripe.api_base = previous
        if response.status_code != 200:
            raise RuntimeError(f"the webhook view answered {response.status_code}: {response.content[:200]!r}")

    return run


def _in_event_transaction(work):
    with transaction.atomic():  # stands in for dj-stripe's per-event transaction
        return work()


@scenario("billing.webhook.subscription", reaches=(
    "djstripe_event", "djstripe_subscription", "billing_entitlement.status", "job:send_subscription_cancelled_email",
), outside=(WebhookEventTrigger._meta.db_table,))
def subscription_event():
    """Stripe delivers customer.subscription.deleted to the real webhook view: dj-stripe stores the
    Event and the Subscription, our handler cancels the entitlement and queues the "ended" email
    (the branch a first activation never reaches)."""
    creator = check_creator()
    customer = _stripe_customer(creator)
    subscription_id = f"sub_check_{creator.pk}"
    stripe_sync.subscription_event_apply(
        user=creator, subscription_id=subscription_id, snapshot=_subscription_data(), reread=_subscription_data,
        event_created=timezone.now().replace(microsecond=0) - datetime.timedelta(days=1),
    )
    now = int(time.time())
    ended = subscription_object(subscription_id, customer.id, _price(), period_start=now - 86400,
                                period_end=now + 29 * 86400, status="canceled")
    return _delivered("customer.subscription.deleted", ended, stand_in=[ended])


@scenario("billing.webhook.invoice_paid", reaches=(
    "djstripe_event", "billing_payment", "billing_entitlement.paid_through", "job:send_receipt_email",
), outside=(WebhookEventTrigger._meta.db_table,))
def invoice_paid():
    """invoice.paid for a renewal, delivered to the real webhook view: dj-stripe stores the Event, our
    handler records the payment and its line's period extends `paid_through`."""
    now = int(time.time())
    creator = _subscriber(timezone.now().replace(microsecond=0))
    customer = _stripe_customer(creator)
    invoice = invoice_object(
        f"in_check_{creator.pk}", customer.id, "sub_check", price_id=settings.STRIPE_PRICES[("pro", "month")],
        product_id="prod_check_pro", amount=999, number=f"CHECK-{creator.pk}",
        hosted_invoice_url="https://check.invalid/", billing_reason="subscription_cycle", period=(now, now + 30 * 86400),
    )
    return _delivered("invoice.paid", invoice, stand_in=[invoice])


@scenario("billing.webhook.payment_failed", reaches=("billing_entitlement.status", "job:send_payment_failed_email"))
def payment_failed():
    created = timezone.now().replace(microsecond=0)
    creator = _subscriber(created)
    return lambda: _in_event_transaction(
        lambda: stripe_sync.entitlement_mark_past_due(
            user=creator, subscription_id="sub_check", invoice={"id": "in_check", "status": "open"}, event_created=created
        )
    )


@scenario("billing.owner_account_store", reaches=("djstripe_account", "djstripe_apikey"))
def owner_account_store():
    account = {**_ACCOUNT, "created": int(time.time())}
    return lambda: checkout.owner_account_store(api_key=_CHECK_API_KEY, data=account)


@scenario("billing.restored_payment_record", reaches=("billing_payment", "job:send_receipt_email"))
def restored_payment_record():
    creator = check_creator()
    invoice = {"id": f"in_check_restored_{creator.pk}", "amount_paid": 999, "currency": "usd",
               "created": int(time.time()), "lines": {"data": [{"pricing": {"price_details": {"price": settings.STRIPE_PRICES[("pro", "month")]}}}]}}
    return lambda: restore_reconcile.restored_payment_record(user=creator, invoice=invoice)


@scenario("billing.restored_customer_store", reaches=("djstripe_customer.subscriber_id",))
def restored_customer_store():
    creator = check_creator()
    _stripe_customer(check_creator())  # the owner account, stored as checkout leaves it
    data = {"id": f"cus_check_restored_{creator.pk}", "object": "customer", "livemode": settings.STRIPE_LIVE_MODE,
            "created": int(time.time()), "email": creator.email, "metadata": {"djstripe_subscriber": str(creator.pk)},
            "invoice_settings": {"default_payment_method": None}, "default_source": None, "deleted": False}
    return lambda: restore_reconcile.restored_customer_store(user=creator, data=data, api_key=_CHECK_API_KEY)
