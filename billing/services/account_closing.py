"""Billing's part of the creator's account life: Stripe told of a new address, and Stripe closed
before an account is deleted. Every Stripe call here runs outside any transaction and is
idempotent (an Idempotency-Key, or an answer that says it was done already)."""

import stripe
from django.conf import settings
from djstripe.models import Customer

from billing.locks import entitlement_qs_select_for_update
from billing.models import Entitlement, Payment
from billing.stripe_api import stripe_call
from core.errors import UpstreamUnavailable


def _customer_id(user_id):
    return (
        Customer.objects.filter(subscriber_id=user_id, livemode=settings.STRIPE_LIVE_MODE)
        .values_list("id", flat=True)
        .first()
    )


def stripe_customer_email_sync(*, user_id, email):
    """Give the creator's Stripe customer (if any) the address `email`. The Idempotency-Key names
    the customer and the address: a job run twice makes one change. Call outside any transaction."""
    customer_id = _customer_id(user_id)
    if customer_id is None:
        return None
    stripe_call(stripe.Customer.modify, id=customer_id, email=email,
            idempotency_key=f"customer-email-{customer_id}-{email.lower()}")
    return customer_id


def _gone(exc):
    """Stripe says the object does not exist (deleted already): the step is done."""
    return isinstance(exc.__cause__, stripe.InvalidRequestError) and exc.__cause__.code == "resource_missing"


def stripe_account_close(*, user_id):
    """Before an account is deleted: cancel its Stripe subscription at once and delete its Stripe
    customer. Idempotent: a retry after a crash finds them canceled or gone and carries on.
    Returns the customer id ('' without one). Call outside any transaction."""
    subscription_ids = (
        Entitlement.objects.filter(user_id=user_id, source="stripe").exclude(stripe_subscription_id="")
        .values_list("stripe_subscription_id", flat=True)
    )
    for subscription_id in subscription_ids:
        try:
            stripe_call(stripe.Subscription.cancel, subscription_exposed_id=subscription_id,
                    idempotency_key=f"account-delete-cancel-{subscription_id}")
        except UpstreamUnavailable as exc:
            if not _gone(exc):
                raise
    customer_id = _customer_id(user_id)
    if customer_id is None:
        return ""
    try:
        stripe_call(stripe.Customer.delete, sid=customer_id)
    except UpstreamUnavailable as exc:
        if not _gone(exc):
            raise
    return customer_id


def creator_billing_erase(*, user_id, tombstone_id):
    """Billing's rows of a creator being deleted: their payments move to the tombstone (kept for
    tax, nothing personal), the entitlement and the stored Stripe customer (its subscriptions,
    invoices and payment methods with it) are deleted. Call inside the deletion's transaction,
    after the creator's stats lock (the entitlement comes next in core.locks.LOCK_ORDER)."""
    Payment.objects.filter(user_id=user_id).update(user=None, tombstone_id=tombstone_id)
    list(entitlement_qs_select_for_update().filter(user_id=user_id).values_list("pk", flat=True))
    Entitlement.objects.filter(user_id=user_id).delete()
    Customer.objects.filter(subscriber_id=user_id).delete()
