"""Our Stripe webhook handlers. dj-stripe verifies the signature, stores the delivery
(WebhookEventTrigger) and processes each event id once (Event) in one transaction; these
handlers run inside that same transaction. Side effects (emails) are enqueued in it (outbox):
a failed event sends nothing and is redelivered by Stripe.

dj-stripe's own handlers for the events we handle re-read the object from Stripe and re-sync it
with everything it points to (an invoice: its lines, charge, payment intent, customer...), which
was most of the cost of a delivery and which nothing of ours reads. They are disconnected here:
- subscription events: we apply the event's snapshot in Stripe's order (billing.services.stripe_sync) and
  store exactly that state in dj-stripe's Subscription row (the admin and the audit read it);
- invoice.paid: the invoice in the event is final (paid is terminal); our Payment is the record;
- invoice.payment_failed: the invoice is re-read (one call, nothing synced), since the decision
  depends on its state now;
- checkout.session.completed: the subscription is re-read and applied like an event from the
  same second (see the comment at `_disconnect`).
"""

import logging

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from djstripe import event_handlers
from djstripe import signals as djstripe_signals
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Event, Subscription

from billing import webhook_intake
from billing.selectors import customer_subscriber
from billing.services import stripe_sync
from core.metrics import WEBHOOK_EVENTS

logger = logging.getLogger("creatorcompass.billing")

SUBSCRIPTION_EVENTS = [
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
]
INVOICE_EVENTS = ["invoice.paid", "invoice.payment_failed"]



def _disconnect(event_types, handler):
    for event_type in event_types:
        if not djstripe_signals.WEBHOOK_SIGNALS[event_type].disconnect(handler, sender=Event):
            raise ImproperlyConfigured(f"dj-stripe's {handler.__name__} no longer handles {event_type}: review billing.webhooks")


_disconnect(SUBSCRIPTION_EVENTS, event_handlers.handle_customer_subscription_event)
# checkout.session.completed: dj-stripe's re-sync of the session also writes the subscription's row
# before our handler locks the entitlement, the reverse of our order (entitlement, then that row):
# two deliveries for one subscription deadlocked on PostgreSQL (found by the model check's
# concurrent deliveries). The session was stored when Checkout was created; nothing reads its status.
_disconnect([*INVOICE_EVENTS, "checkout.session.completed"], event_handlers.handle_other_event)


def _subscriber(customer_id):
    subscriber = customer_subscriber(customer_id)
    if subscriber is None:
        logger.warning("Stripe customer %s belongs to no creator: event ignored", customer_id)
    return subscriber


def _retrieve(resource, object_id, event):
    """The object as Stripe has it now, as a plain dict (nothing is stored)."""
    found = resource.retrieve(object_id, api_key=event.default_api_key, stripe_version=settings.STRIPE_API_VERSION)
    return found.to_dict()


def _apply_subscription(subscription_id, customer_id, event, snapshot):
    user = _subscriber(customer_id)
    if user is None:
        return
    applied, _ = stripe_sync.subscription_event_apply(
        user=user, subscription_id=subscription_id, event_created=event.created, snapshot=snapshot,
        reread=lambda: _retrieve(stripe.Subscription, subscription_id, event),
    )
    if applied is not None:
        api_key = event.default_api_key
        Subscription.sync_from_stripe_data(stripe.Subscription.construct_from(applied, api_key), api_key=api_key)


@djstripe_receiver(SUBSCRIPTION_EVENTS)
def on_subscription_event(sender, event, **kwargs):
    snapshot = event.data["object"]
    _apply_subscription(snapshot["id"], snapshot["customer"], event, snapshot)


@djstripe_receiver("checkout.session.completed")
def on_checkout_completed(sender, event, **kwargs):
    session = event.data["object"]
    if session.get("mode") == "subscription" and session.get("subscription"):
        _apply_subscription(session["subscription"], session["customer"], event, snapshot=None)


@djstripe_receiver("invoice.paid")
def on_invoice_paid(sender, event, **kwargs):
    invoice = event.data["object"]
    user = _subscriber(invoice["customer"])
    if user is not None:
        stripe_sync.payment_record(user=user, invoice=invoice)


@djstripe_receiver("invoice.payment_failed")
def on_invoice_payment_failed(sender, event, **kwargs):
    invoice = event.data["object"]
    user = _subscriber(invoice["customer"])
    subscription_id = invoice_subscription(invoice)
    if user is not None and subscription_id:
        stripe_sync.entitlement_mark_past_due(
            user=user, subscription_id=subscription_id, event_created=event.created,
            invoice=_retrieve(stripe.Invoice, invoice["id"], event),
        )


def invoice_subscription(invoice):
    """The subscription an invoice bills (moved under `parent` in the 2025 API versions)."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return parent.get("subscription") or invoice.get("subscription")


def _count(instance, outcome):
    body = instance.json_body
    WEBHOOK_EVENTS.labels(body.get("type", "unknown") if isinstance(body, dict) else "not-an-object", outcome).inc()


def _before_validation(sender, instance, **kwargs):
    # What is kept of a valid delivery: no Cookie or Authorization, and dj-stripe's DEBUG secret
    # override header only where a setting allows it (its validation reads these headers).
    kept = webhook_intake.kept_headers(instance.headers)
    override = webhook_intake.SECRET_HEADER
    if webhook_intake.secret_override_allowed() and override in {name.lower() for name in instance.headers}:
        kept.update({name: value for name, value in instance.headers.items() if name.lower() == override})
    instance.headers = kept


def _on_validated(sender, instance, valid, **kwargs):
    if not valid:
        _count(instance, "invalid")


def _on_processed(sender, instance, **kwargs):
    _count(instance, "processed")


def _on_failed(sender, instance, exception=None, **kwargs):
    # Our bug or an outage, not bad input (the view refused malformed bodies before): logged with
    # its traceback and counted; the view answers 500 so Stripe redelivers.
    logger.error("Stripe event processing failed (delivery %s)", instance.pk, exc_info=exception)
    _count(instance, "failed")


djstripe_signals.webhook_pre_validate.connect(_before_validation, dispatch_uid="billing.webhooks.headers")
djstripe_signals.webhook_post_validate.connect(_on_validated, dispatch_uid="billing.metrics.validated")
djstripe_signals.webhook_post_process.connect(_on_processed, dispatch_uid="billing.metrics.processed")
djstripe_signals.webhook_processing_error.connect(_on_failed, dispatch_uid="billing.metrics.failed")
