"""Turning Stripe state into our rows: entitlements and payments.

Called by the webhook handlers inside dj-stripe's per-event transaction, and by the services
that store what a Stripe call returned (call inside a transaction). Each function is idempotent:
applying the same event twice changes nothing.

Every ordering decision uses Stripe's own data, never our clock: an event newer (its `created`,
whole seconds) than the newest one applied is applied from its snapshot; an event from the same
second is ambiguous (Stripe sends several in one second), so the object is re-read and its
current state applied; an older event is ignored.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest

from billing import jobs
from billing.locks import entitlement_qs_select_for_update
from billing.models import Entitlement, EntitlementStatus, Payment, PlanCode
from billing.plan_rules import PAYING_STATUSES, is_paying
from core.email import email_enqueue
from core.upsert import insert_once

logger = logging.getLogger("creatorcompass.billing")


def plan_code_for_price(price_id):
    """The plan a Stripe price id sells (None for a price we do not sell)."""
    return next((plan for (plan, _), price in settings.STRIPE_PRICES.items() if price == price_id), None)


def price_for(plan_code, interval):
    return settings.STRIPE_PRICES.get((plan_code, interval))


def timestamp(value):
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc) if value else None


def subscription_facts(data):
    """(price id, status, period end) of a Stripe subscription payload. Since the 2025 API
    versions the period lives on the subscription items; older payloads have it on top."""
    items = (data.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    price_id = price.get("id") if isinstance(price, dict) else price
    period_end = item.get("current_period_end") or data.get("current_period_end")
    return price_id, data.get("status"), timestamp(period_end)


def _entitlement_locked(user):
    Entitlement.objects.bulk_create(
        [Entitlement(user=user, plan_id=PlanCode.FREE, status=EntitlementStatus.CANCELED, source="stripe")],
        ignore_conflicts=True,
    )
    return entitlement_qs_select_for_update().get(user=user)


def event_order(event_created, newest_applied):
    """Where an event stands against the newest one applied: "newer", "same second" (Stripe
    stamps several events in one second, so their order is unknown) or "older"."""
    if newest_applied is None or event_created > newest_applied:
        return "newer"
    return "same second" if event_created == newest_applied else "older"


def subscription_event_apply(*, user, subscription_id, event_created, snapshot, reread):
    """Apply a subscription event (created `event_created`, a datetime of whole seconds) to the
    creator's entitlement: its `snapshot` (the subscription as the event carries it; None when the
    event carries none) if the event is newer than every event applied; the subscription's
    current state (`reread()`, a call to Stripe) if it comes from the same second or carries no
    snapshot; nothing if it is older. Locks the entitlement row (core.locks.LOCK_ORDER).
    Returns (the subscription data applied or None, the entitlement or None)."""
    entitlement = _entitlement_locked(user)
    newest = entitlement.stripe_event_created
    order = event_order(event_created, newest)
    if order == "older":
        logger.info("ignoring stale event for %s (created %s, newest applied %s)", subscription_id, event_created, newest)
        return None, None
    data = snapshot if order == "newer" and snapshot is not None else reread()
    applied = _apply(entitlement, user=user, subscription_id=subscription_id, data=data,
                     event_created=max(event_created, newest) if newest else event_created)
    return (data, applied) if applied is not None else (None, None)


def subscription_state_apply(*, user, subscription_id, data):
    """Apply a subscription's current state as Stripe just returned it (our own call, not an
    event). It is the newest state there is, so it is applied; it carries no event time, so the
    newest event time applied stays as it was (our clock never stands in for Stripe's)."""
    entitlement = _entitlement_locked(user)
    return _apply(entitlement, user=user, subscription_id=subscription_id, data=data,
                  event_created=entitlement.stripe_event_created)


def _apply(entitlement, *, user, subscription_id, data, event_created):
    price_id, status, period_end = subscription_facts(data)
    plan_code = plan_code_for_price(price_id)
    if plan_code is None:
        logger.warning("subscription %s sells unknown price %s: entitlement unchanged", subscription_id, price_id)
        return None
    if status not in EntitlementStatus.values:
        status = EntitlementStatus.CANCELED  # incomplete_expired, paused: no access
    other_paying = (
        entitlement.stripe_subscription_id not in ("", subscription_id)
        and is_paying(entitlement.status)
        and entitlement.current_period_end is not None
        and event_created is not None
        and entitlement.current_period_end > event_created
    )
    if other_paying and not is_paying(status):
        logger.info("ignoring %s (%s): creator pays through %s", subscription_id, status, entitlement.stripe_subscription_id)
        return None
    ends = status == EntitlementStatus.CANCELED and (
        entitlement.stripe_subscription_id != subscription_id or entitlement.status != EntitlementStatus.CANCELED
    )
    Entitlement.objects.filter(pk=entitlement.pk).update(
        plan_id=plan_code,
        status=status,
        current_period_end=period_end,
        source="stripe",
        stripe_subscription_id=subscription_id,
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        stripe_event_created=event_created,
    )
    if ends:
        email_enqueue(jobs.send_subscription_cancelled_email, user.pk, subscription_id)
    entitlement.refresh_from_db()
    return entitlement


def invoice_price_and_period(invoice):
    """(price id, period end) of an invoice's subscription line."""
    for line in ((invoice.get("lines") or {}).get("data") or []):
        pricing = line.get("pricing") or {}
        price_id = (pricing.get("price_details") or {}).get("price") or (line.get("price") or {}).get("id")
        if price_id:
            return price_id, timestamp((line.get("period") or {}).get("end"))
    return None, None


def payment_record(*, user, invoice):
    """Record a paid invoice once (unique invoice id), extend the period the creator has paid
    for, and send the receipt after commit. Returns True if this call recorded it."""
    price_id, period_end = invoice_price_and_period(invoice)
    payment = Payment(
        user=user,
        stripe_invoice_id=invoice["id"],
        number=invoice.get("number") or "",
        plan_id=plan_code_for_price(price_id),
        amount_cents=invoice.get("amount_paid") or 0,
        currency=invoice.get("currency") or "usd",
        paid_at=timestamp((invoice.get("status_transitions") or {}).get("paid_at")) or timestamp(invoice.get("created")),
        period_end=period_end,
        hosted_invoice_url=invoice.get("hosted_invoice_url") or "",
    )
    if not insert_once(payment, unique_fields=("stripe_invoice_id",)):  # no savepoint: a duplicate aborts nothing
        return False
    if period_end is not None:
        # One UPDATE when the creator has an entitlement (the usual case), an INSERT otherwise.
        extended = entitlement_qs_select_for_update().filter(user=user).update(
            paid_through=Greatest(Coalesce(F("paid_through"), period_end), period_end)
        )
        if not extended:
            Entitlement.objects.bulk_create(
                [Entitlement(user=user, plan_id=PlanCode.FREE, status=EntitlementStatus.CANCELED, source="stripe",
                             paid_through=period_end)],
                ignore_conflicts=True,
            )
            entitlement_qs_select_for_update().filter(user=user).update(
                paid_through=Greatest(Coalesce(F("paid_through"), period_end), period_end)
            )
    email_enqueue(jobs.send_receipt_email, payment.pk)
    return True


def entitlement_mark_past_due(*, user, subscription_id, invoice, event_created):
    """A payment failed (an event created `event_created`). Decided on Stripe's data, not on the
    delivery: the invoice's state as Stripe has it now (`invoice`, re-read: the failure may be
    delivered after the retry succeeded) and the event's time. A paid invoice changes nothing
    and sends nothing; so does a failure older than the newest subscription event applied (that
    event carries the subscription's status after it). Otherwise the subscription's entitlement,
    if paying, becomes past_due (access until the paid period ends) and the creator is emailed
    after commit (once per invoice). Returns True if the failure was taken."""
    if invoice.get("status") == "paid" or Payment.objects.filter(stripe_invoice_id=invoice["id"]).exists():
        logger.info("payment_failed for %s, which is paid now: nothing to do", invoice["id"])
        return False
    # The UPDATE locks the row it changes: through the lock function, so the order check sees it.
    entitlement_qs_select_for_update().filter(
        Q(stripe_event_created__isnull=True) | Q(stripe_event_created__lte=event_created),
        user=user, stripe_subscription_id=subscription_id, status__in=sorted(PAYING_STATUSES),
    ).update(status=EntitlementStatus.PAST_DUE)
    email_enqueue(jobs.send_payment_failed_email, user.pk, invoice["id"])
    return True
