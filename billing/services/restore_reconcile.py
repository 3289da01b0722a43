"""After a database restore: what Stripe knows since the restore point, applied again.

A database restored to an earlier time has forgotten the webhooks Stripe delivered after it, and
Stripe does not send a delivered event again. `stripe_changes_since` asks Stripe, outside any
transaction, with its list endpoints (every page, `created` on or after the restore point):
the customers, subscriptions and invoices made since; a subscription made before the restore
point can have changed after it too, so the ones an invoice since names and the ones the restored
database has as paying (a cancellation makes no invoice) are read again. `stripe_changes_apply`
applies them in Stripe's order (oldest first) through the functions the webhooks use
(billing.services.stripe_sync), each in its own short transaction that calls nothing: a
subscription's current state (`subscription_state_apply`, through `checkout.subscription_store`),
a paid invoice (`payment_record`: unique per invoice, the receipt in the outbox). Each is
idempotent, so running it twice, or a webhook Stripe still delivers later, changes nothing again.
"""

import dataclasses

import stripe
from django.contrib.auth import get_user_model
from djstripe.models import Customer

from billing import stripe_api
from billing.models import Entitlement
from billing.plan_rules import PAYING_STATUSES
from billing.selectors import customer_subscriber
from billing.services import checkout, stripe_sync
from billing.stripe_api import stripe_call
from billing.stripe_client import stripe_calls_refused
from billing.webhooks import invoice_subscription
from core.transactions import durable_service

# Stripe's largest page.
PAGE_SIZE = 100


def _pages(list_call, **params):
    """Every object of a Stripe list (`list_call`, e.g. stripe.Invoice.list), page after page
    (`starting_after` the last one seen)."""
    starting_after = {}
    while True:
        page = stripe_call(list_call, limit=PAGE_SIZE, **params, **starting_after)
        yield from page["data"]
        if not page["has_more"] or not page["data"]:
            return
        starting_after = {"starting_after": page["data"][-1]["id"]}


@dataclasses.dataclass
class StripeChanges:
    customers: list
    subscriptions: list
    invoices: list


@dataclasses.dataclass
class StripeApplied:
    customers_stored: list = dataclasses.field(default_factory=list)
    subscriptions_applied: list = dataclasses.field(default_factory=list)
    payments_recorded: list = dataclasses.field(default_factory=list)
    user_ids: set = dataclasses.field(default_factory=set)  # the creators whose billing Stripe changed
    unknown_customers: list = dataclasses.field(default_factory=list)  # (customer id, email): no creator here


def stripe_changes_since(*, since):
    """What Stripe has made or changed since `since` (an aware datetime). Calls Stripe: run
    outside any transaction."""
    created = {"gte": int(since.timestamp())}
    expand = [f"data.{path}" for path in checkout.SUBSCRIPTION_EXPAND]
    customers = list(_pages(stripe.Customer.list, created=created))
    subscriptions = list(_pages(stripe.Subscription.list, status="all", created=created, expand=expand))
    invoices = list(_pages(stripe.Invoice.list, created=created))
    listed = {subscription["id"] for subscription in subscriptions}
    older = {invoice_subscription(invoice) for invoice in invoices} | set(
        Entitlement.objects.filter(status__in=sorted(PAYING_STATUSES)).exclude(stripe_subscription_id="")
        .values_list("stripe_subscription_id", flat=True)
    )
    for subscription_id in sorted(older - listed - {None}):
        subscriptions.append(stripe_call(stripe.Subscription.retrieve, id=subscription_id,
                                              expand=checkout.SUBSCRIPTION_EXPAND))
    return StripeChanges(customers=customers, subscriptions=subscriptions, invoices=invoices)


@durable_service("billing.restored_customer_store")
def restored_customer_store(*, user, data, api_key):
    """Store a Stripe customer the restored database lost, for the creator it names."""
    with stripe_calls_refused("storing what Stripe returned, inside a transaction"):
        customer = Customer.sync_from_stripe_data(data, api_key=api_key)
    Customer.objects.filter(pk=customer.pk).update(subscriber=user)


@durable_service("billing.restored_payment_record")
def restored_payment_record(*, user, invoice):
    """Record a paid invoice the restored database lost (once: unique per invoice)."""
    return stripe_sync.payment_record(user=user, invoice=invoice)


def _lost_customer(data):
    """The creator named by a customer the restored database does not have, or None."""
    subscriber_id = (data.get("metadata") or {}).get("djstripe_subscriber")
    if not (subscriber_id and subscriber_id.isdigit()):
        return None
    return get_user_model().objects.filter(pk=subscriber_id).first()


def stripe_changes_apply(changes):
    """Apply `changes` (stripe_changes_since), oldest first, one short transaction each."""
    checkout.owner_account_ready()
    api_key = stripe_api.api_key()
    applied = StripeApplied()
    for data in sorted(changes.customers, key=lambda c: c["created"]):
        if customer_subscriber(data["id"]) is not None:
            continue
        user = _lost_customer(data)
        if user is None:
            applied.unknown_customers.append((data["id"], data.get("email") or ""))
            continue
        restored_customer_store(user=user, data=data, api_key=api_key)
        applied.customers_stored.append(data["id"])
    for data in sorted(changes.subscriptions, key=lambda s: s["created"]):
        user = customer_subscriber(data["customer"])
        if user is not None:
            checkout.subscription_store(user=user, data=data, api_key=api_key)
            applied.subscriptions_applied.append(data["id"])
            applied.user_ids.add(user.pk)
    for invoice in sorted(changes.invoices, key=lambda i: i["created"]):
        user = customer_subscriber(invoice["customer"])
        if user is not None and invoice.get("status") == "paid" and restored_payment_record(user=user, invoice=invoice):
            applied.payments_recorded.append(invoice["id"])
            applied.user_ids.add(user.pk)
    return applied
