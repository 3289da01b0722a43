"""Turning Stripe state (dj-stripe's synced objects) into our rows: entitlements and payments.

Called by the webhook handlers inside dj-stripe's per-event transaction (call inside a
transaction). Each function is idempotent: applying the same event twice changes nothing.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from billing import jobs
from billing.locks import entitlement_qs_select_for_update
from billing.models import Entitlement, EntitlementStatus, Payment, PlanCode
from core.email import email_enqueue

logger = logging.getLogger("creatorcompass.billing")

_PAYING = {EntitlementStatus.ACTIVE, EntitlementStatus.TRIALING}


def plan_code_for_price(price_id):
    """The plan a Stripe price id sells (None for a price we do not sell)."""
    return next((plan for (plan, _), price in settings.STRIPE_PRICES.items() if price == price_id), None)


def price_for(plan_code, interval):
    return settings.STRIPE_PRICES.get((plan_code, interval))


def _timestamp(value):
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc) if value else None


def subscription_facts(data):
    """(price id, status, period end) of a Stripe subscription payload. Since the 2025 API
    versions the period lives on the subscription items; older payloads have it on top."""
    items = (data.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    price_id = price.get("id") if isinstance(price, dict) else price
    period_end = item.get("current_period_end") or data.get("current_period_end")
    return price_id, data.get("status"), _timestamp(period_end)


def entitlement_apply_subscription(*, user, subscription_id, data, event_created):
    """Make the creator's entitlement reflect a subscription's current state.

    Never moves backwards: an event older than the newest one applied is ignored, and a
    non-paying subscription does not override a different subscription that is paying (an
    old, cancelled subscription's late event cannot downgrade a creator who re-subscribed).
    Locks the entitlement row (core.locks.LOCK_ORDER; no stats lock here).
    Returns the entitlement, or None when the event was ignored."""
    price_id, status, period_end = subscription_facts(data)
    plan_code = plan_code_for_price(price_id)
    if plan_code is None:
        logger.warning("subscription %s sells unknown price %s: entitlement unchanged", subscription_id, price_id)
        return None
    if status not in EntitlementStatus.values:
        status = EntitlementStatus.CANCELED  # incomplete_expired, paused: no access
    Entitlement.objects.bulk_create(
        [Entitlement(user=user, plan_id=PlanCode.FREE, status=EntitlementStatus.CANCELED, source="stripe")],
        ignore_conflicts=True,
    )
    entitlement = entitlement_qs_select_for_update().get(user=user)
    if entitlement.stripe_event_created and event_created < entitlement.stripe_event_created:
        logger.info("ignoring stale event for %s (created %s)", subscription_id, event_created)
        return None
    other_paying = (
        entitlement.stripe_subscription_id not in ("", subscription_id)
        and entitlement.status in _PAYING
        and (entitlement.current_period_end is None or entitlement.current_period_end > event_created)
    )
    if other_paying and status not in _PAYING:
        logger.info("ignoring %s (%s): creator pays through %s", subscription_id, status, entitlement.stripe_subscription_id)
        return None
    was_paying = entitlement.status in _PAYING
    Entitlement.objects.filter(pk=entitlement.pk).update(
        plan_id=plan_code,
        status=status,
        current_period_end=period_end,
        source="stripe",
        stripe_subscription_id=subscription_id,
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        stripe_event_created=event_created,
    )
    if was_paying and status == EntitlementStatus.CANCELED:
        email_enqueue(jobs.send_subscription_cancelled_email, user.pk, subscription_id)
    entitlement.refresh_from_db()
    return entitlement


def payment_record(*, user, invoice):
    """Record a paid invoice once (unique invoice id) and send the receipt after commit.
    Returns True if this call recorded it."""
    price_id = None
    for line in ((invoice.get("lines") or {}).get("data") or []):
        pricing = line.get("pricing") or {}
        price_id = (pricing.get("price_details") or {}).get("price") or (line.get("price") or {}).get("id")
        if price_id:
            break
    try:
        with transaction.atomic():  # savepoint: a duplicate must not abort dj-stripe's transaction
            payment = Payment.objects.create(
                user=user,
                stripe_invoice_id=invoice["id"],
                number=invoice.get("number") or "",
                plan_id=plan_code_for_price(price_id),
                amount_cents=invoice.get("amount_paid") or 0,
                currency=invoice.get("currency") or "usd",
                paid_at=_timestamp((invoice.get("status_transitions") or {}).get("paid_at")) or _timestamp(invoice.get("created")),
                hosted_invoice_url=invoice.get("hosted_invoice_url") or "",
            )
    except IntegrityError:
        return False
    email_enqueue(jobs.send_receipt_email, payment.pk)
    return True


def entitlement_mark_past_due(*, user, subscription_id, invoice_id):
    """A renewal payment failed: past_due keeps access until the paid period ends. Emails the
    creator after commit (once per invoice)."""
    # The UPDATE locks the row it changes: through the lock function, so the order check sees it.
    entitlement_qs_select_for_update().filter(user=user, stripe_subscription_id=subscription_id, status__in=_PAYING).update(
        status=EntitlementStatus.PAST_DUE
    )
    email_enqueue(jobs.send_payment_failed_email, user.pk, invoice_id)
