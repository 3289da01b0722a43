"""Stripe API objects for tests, shaped like API version 2026-05-27 (the one we pin), and a
signer for webhook deliveries. The emulator serves the objects; events carry snapshots."""

import itertools
import json
import time

from django.conf import settings

from billing.testing.stripe_emulator import invoice_object, subscription_object
from billing.testing.stripe_emulator import webhook_signature as signature  # noqa: F401 (the tests' name for it)

_ids = itertools.count(1)


def new_id(prefix):
    return f"{prefix}_test{next(_ids):08d}"


def customer(customer_id, user):
    return {
        "id": customer_id, "object": "customer", "livemode": False, "created": int(time.time()), "email": user.email,
        "name": None, "description": None, "metadata": {"djstripe_subscriber": str(user.pk)}, "balance": 0,
        "currency": "usd", "delinquent": False, "invoice_prefix": "CC", "default_source": None,
        "invoice_settings": {"default_payment_method": None}, "preferred_locales": [], "deleted": False,
    }


def subscription(subscription_id, customer_id, plan="pro", interval="month", status="active",
                 period_end=None, cancel_at_period_end=False):
    now = int(time.time())
    price = {"id": settings.STRIPE_PRICES[(plan, interval)], "object": "price", "active": True, "currency": "usd",
             "product": f"prod_{plan}", "recurring": {"interval": interval, "interval_count": 1},
             "type": "recurring", "unit_amount": 999 if plan == "pro" else 2999}
    return subscription_object(subscription_id, customer_id, price, period_start=now - 86400,
                               period_end=period_end or now + 30 * 86400, status=status,
                               cancel_at_period_end=cancel_at_period_end)


def invoice(invoice_id, customer_id, subscription_id, plan="pro", amount=999, status="paid"):
    return invoice_object(
        invoice_id, customer_id, subscription_id, price_id=settings.STRIPE_PRICES[(plan, "month")],
        product_id=f"prod_{plan}", amount=amount, status=status, number=f"CC-{invoice_id[-4:]}",
        hosted_invoice_url=f"https://invoice.stripe.test/{invoice_id}", billing_reason="subscription_cycle",
    )


def event(event_type, obj, created=None, event_id=None):
    return {
        "id": event_id or new_id("evt"), "object": "event", "api_version": settings.STRIPE_API_VERSION,
        "created": created or int(time.time()), "livemode": False, "type": event_type, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "data": {"object": obj},
    }


def encode(payload):
    return json.dumps(payload, separators=(",", ":"))


def products_and_prices():
    """The products and prices our Stripe account sells (price ids from settings)."""
    now = int(time.time())
    objects = []
    for plan, name in (("pro", "Pro Creator"), ("studio", "Creator Studio")):
        objects.append({"id": f"prod_{plan}", "object": "product", "active": True, "name": name, "created": now,
                        "description": None, "metadata": {}, "type": "service", "livemode": False, "default_price": None,
                        "images": [], "marketing_features": [], "package_dimensions": None, "shippable": None,
                        "statement_descriptor": None, "tax_code": None, "unit_label": None, "url": None, "updated": now})
        for interval, amount in (("month", 999 if plan == "pro" else 2999), ("year", 9996 if plan == "pro" else 29988)):
            objects.append({"id": settings.STRIPE_PRICES[(plan, interval)], "object": "price", "active": True,
                            "currency": "usd", "product": f"prod_{plan}", "unit_amount": amount, "unit_amount_decimal": str(amount),
                            "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed", "aggregate_usage": None,
                                          "trial_period_days": None, "meter": None},
                            "type": "recurring", "billing_scheme": "per_unit", "livemode": False, "created": now,
                            "metadata": {}, "nickname": None, "lookup_key": None, "tax_behavior": "unspecified",
                            "tiers_mode": None, "transform_quantity": None})
    return objects
