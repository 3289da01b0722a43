"""How `manage.py check_transactions` exercises billing: the admin grant, and the webhook
handlers' writes as they run inside dj-stripe's event transaction (Stripe objects built here,
so no network is involved)."""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.transaction_checks import check_creator
from billing import checkout, services, stripe_sync
from core.transaction_checks import not_checkable, scenario

_NEEDS_STRIPE = "dj-stripe's sync may fetch from the Stripe API; proven in billing/tests against the emulator"
not_checkable("billing.checkout_record", _NEEDS_STRIPE)
not_checkable("billing.subscription_store", _NEEDS_STRIPE)


def _subscription_data(status="active"):
    now = int(time.time())
    return {
        "id": "sub_check", "object": "subscription", "status": status, "cancel_at_period_end": False,
        "items": {"data": [{"current_period_end": now + 30 * 86400, "price": {"id": settings.STRIPE_PRICES[("pro", "month")]}}]},
    }


@scenario("billing.entitlement_grant")
def grant():
    creator = check_creator()
    return lambda: services.entitlement_grant(user=creator, plan_code="pro")


def _in_event_transaction(work):
    with transaction.atomic():  # stands in for dj-stripe's per-event transaction
        return work()


@scenario("billing.webhook.subscription")
def subscription_event():
    creator = check_creator()
    return lambda: _in_event_transaction(
        lambda: stripe_sync.entitlement_apply_subscription(
            user=creator, subscription_id="sub_check", data=_subscription_data(), event_created=timezone.now()
        )
    )


@scenario("billing.webhook.invoice_paid")
def invoice_paid():
    creator = check_creator()
    invoice = {"id": f"in_check_{creator.pk}", "amount_paid": 999, "currency": "usd", "created": int(time.time()),
               "lines": {"data": [{"pricing": {"price_details": {"price": settings.STRIPE_PRICES[("pro", "month")]}}}]}}
    return lambda: _in_event_transaction(lambda: stripe_sync.payment_record(user=creator, invoice=invoice))


@scenario("billing.webhook.payment_failed")
def payment_failed():
    creator = check_creator()
    stripe_sync.entitlement_apply_subscription(
        user=creator, subscription_id="sub_check", data=_subscription_data(), event_created=timezone.now()
    )
    return lambda: _in_event_transaction(
        lambda: stripe_sync.entitlement_mark_past_due(user=creator, subscription_id="sub_check", invoice_id="in_check")
    )


@scenario("billing.owner_account_store")
def owner_account_store():
    account = {"id": "acct_check", "object": "account", "type": "standard", "country": "US", "default_currency": "usd",
               "email": "check@check.invalid", "charges_enabled": True, "payouts_enabled": True, "metadata": {},
               "settings": {"dashboard": {"display_name": "check"}}, "created": int(time.time())}
    return lambda: checkout._owner_account_store(api_key="sk_test_" + "check" * 6, data=account)
