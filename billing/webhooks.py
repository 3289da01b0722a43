"""Our Stripe webhook handlers. dj-stripe verifies the signature, stores the delivery
(WebhookEventTrigger), processes each event id once (Event) and syncs the Stripe object in
one transaction; these handlers run inside that same transaction, after dj-stripe's own
(billing is installed after djstripe), so they see the freshly synced objects. Side effects
(emails) go through on_commit: a failed event sends nothing and is redelivered by Stripe."""

import logging

from djstripe import signals as djstripe_signals
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Customer, Subscription

from billing import stripe_sync
from core.metrics import WEBHOOK_EVENTS

logger = logging.getLogger("creatorcompass.billing")

SUBSCRIPTION_EVENTS = [
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
]


def _subscriber(customer_id):
    customer = Customer.objects.select_related("subscriber").filter(id=customer_id).first()
    if customer is None or customer.subscriber is None:
        logger.warning("Stripe customer %s belongs to no creator: event ignored", customer_id)
        return None
    return customer.subscriber


def _apply_subscription(subscription_id, event):
    subscription = Subscription.objects.filter(id=subscription_id).first()
    if subscription is None:
        # dj-stripe syncs the subscription for subscription events; for a checkout session we
        # fetch it (inside the event transaction, as dj-stripe itself does).
        subscription = Subscription._get_or_retrieve(id=subscription_id, api_key=event.default_api_key)
    user = _subscriber(subscription.customer_id)
    if user is not None:
        stripe_sync.entitlement_apply_subscription(
            user=user, subscription_id=subscription.id, data=subscription.stripe_data, event_created=event.created
        )


@djstripe_receiver(SUBSCRIPTION_EVENTS)
def on_subscription_event(sender, event, **kwargs):
    _apply_subscription(event.data["object"]["id"], event)


@djstripe_receiver("checkout.session.completed")
def on_checkout_completed(sender, event, **kwargs):
    session = event.data["object"]
    if session.get("mode") == "subscription" and session.get("subscription"):
        _apply_subscription(session["subscription"], event)


@djstripe_receiver("invoice.paid")
def on_invoice_paid(sender, event, **kwargs):
    invoice = event.data["object"]
    user = _subscriber(invoice.get("customer"))
    if user is not None:
        stripe_sync.payment_record(user=user, invoice=invoice)


@djstripe_receiver("invoice.payment_failed")
def on_invoice_payment_failed(sender, event, **kwargs):
    invoice = event.data["object"]
    user = _subscriber(invoice.get("customer"))
    subscription_id = _invoice_subscription(invoice)
    if user is not None and subscription_id:
        stripe_sync.entitlement_mark_past_due(user=user, subscription_id=subscription_id, invoice_id=invoice["id"])


def _invoice_subscription(invoice):
    """The subscription an invoice bills (moved under `parent` in the 2025 API versions)."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return parent.get("subscription") or invoice.get("subscription")


def _count(instance, outcome):
    body = instance.json_body
    WEBHOOK_EVENTS.labels(body.get("type", "unknown") if isinstance(body, dict) else "not-an-object", outcome).inc()


def _on_validated(sender, instance, valid, **kwargs):
    if not valid:
        _count(instance, "invalid")


def _on_processed(sender, instance, **kwargs):
    _count(instance, "processed")


def _on_failed(sender, instance, **kwargs):
    _count(instance, "failed")


djstripe_signals.webhook_post_validate.connect(_on_validated, dispatch_uid="billing.metrics.validated")
djstripe_signals.webhook_post_process.connect(_on_processed, dispatch_uid="billing.metrics.processed")
djstripe_signals.webhook_processing_error.connect(_on_failed, dispatch_uid="billing.metrics.failed")
