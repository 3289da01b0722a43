"""Calls to Stripe on the creator's behalf: Checkout, the customer portal, cancel and resume.

Every Stripe call runs outside any transaction (network I/O never holds database locks) with
an Idempotency-Key, and what it returns is stored afterwards in a short durable transaction that
fetches nothing: dj-stripe's sync would fetch the objects it lacks from Stripe inside that
transaction, so what it needs (the platform account, the customer) is fetched and stored first,
and each call asks Stripe to expand the objects the stored one points to.
"""

import hashlib
import uuid

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Account, APIKey, Customer, Session, Subscription

from billing import stripe_api
from billing.models import Entitlement, PlanCode
from billing.plan_rules import MANAGEABLE_STATUSES, PAYING_STATUSES
from billing.services import stripe_sync
from billing.stripe_api import stripe_call
from billing.stripe_client import stripe_calls_refused
from core.errors import Conflict, InvalidInput, UpstreamUnavailable
from core.transactions import durable_service

PAID_PLANS = (PlanCode.PRO, PlanCode.STUDIO)
INTERVALS = ("month", "year")
# What a stored subscription points to, expanded in Stripe's answer so that storing it fetches
# nothing (dj-stripe would fetch a missing product inside the storing transaction).
SUBSCRIPTION_EXPAND = ["items.data.price.product"]
_STORING = "storing what Stripe returned, inside a transaction"


def _absolute(name):
    return f"{settings.SITE_URL}{reverse(name)}"


def owner_account_ready():
    """Make sure the Stripe account that owns our objects is stored. dj-stripe stamps every object
    it syncs with that account and, when it is missing, fetches it inside the transaction that
    syncs; so fetch it here first, outside any transaction, and store it in a short one."""
    api_key = stripe_api.api_key()
    if APIKey.objects.filter(secret=api_key, djstripe_owner_account__isnull=False).exists():
        return
    owner_account_store(api_key=api_key, data=stripe_call(stripe.Account.retrieve))


@durable_service("billing.owner_account_store")
def owner_account_store(*, api_key, data):
    # The key points at the account before the account is synced: syncing it looks up its owner
    # through the key, and would fetch again otherwise.
    apikey, _ = APIKey.objects.get_or_create_by_api_key(api_key)
    account, _ = Account.objects.get_or_create(id=data["id"])
    APIKey.objects.filter(pk=apikey.pk).update(djstripe_owner_account=account)
    with stripe_calls_refused(_STORING):
        Account.sync_from_stripe_data(data, api_key=api_key)


def customer_for(user):
    """The creator's Stripe customer, created once. dj-stripe derives the Idempotency-Key from
    the user id (a stored IdempotencyKey row), so two racing requests get the same customer
    from Stripe, and the unique customer id stores it once."""
    owner_account_ready()
    try:
        customer, _ = Customer.get_or_create(subscriber=user, livemode=settings.STRIPE_LIVE_MODE, api_key=stripe_api.api_key())
    except stripe.StripeError as exc:
        raise UpstreamUnavailable() from exc
    return customer


def intent_idempotency_key(action, *, user, intent_key, **what):
    """The Idempotency-Key of one intent of the creator. `intent_key` names the intent: made when
    the form was rendered (billing.templatetags.plans.intent_key) or sent by an API client as its
    Idempotency-Key header; a double click sends it twice and Stripe replays the first answer.
    Without one, every call is a new intent. Never derived from the clock: cancel, resume and
    cancel again within a minute are three intents."""
    raw = intent_key or uuid.uuid4().hex
    facts = ":".join(f"{name}={value}" for name, value in sorted(what.items()))
    return f"{action}-" + hashlib.sha256(f"{user.pk}:{facts}:{raw}".encode()).hexdigest()[:40]


def checkout_start(*, user, plan_code, interval, idempotency_key=None):
    """A Stripe Checkout session for a paid plan; returns its URL."""
    errors = {}
    if plan_code not in PAID_PLANS:
        errors["plan"] = [f"Choose one of: {', '.join(PAID_PLANS)}."]
    if interval not in INTERVALS:
        errors["interval"] = [f"Choose one of: {', '.join(INTERVALS)}."]
    if errors:
        raise InvalidInput(fields=errors)
    entitlement = Entitlement.objects.filter(user=user, source="stripe", status__in=sorted(PAYING_STATUSES)).first()
    if entitlement is not None and entitlement.current_period_end and entitlement.current_period_end > timezone.now():
        raise Conflict("You already have a subscription: change or cancel it in the billing portal.", extra={"reason": "already_subscribed"})
    customer = customer_for(user)
    session = stripe_call(
        stripe.checkout.Session.create,
        customer=customer.id,
        mode="subscription",
        line_items=[{"price": stripe_sync.price_for(plan_code, interval), "quantity": 1}],
        success_url=_absolute("billing") + "?checkout=success",
        cancel_url=_absolute("pricing"),
        client_reference_id=str(user.pk),
        metadata={"user_id": str(user.pk), "plan": plan_code, "interval": interval},
        subscription_data={"metadata": {"user_id": str(user.pk), "plan": plan_code}},
        idempotency_key=intent_idempotency_key("checkout", user=user, intent_key=idempotency_key, plan=plan_code,
                                               interval=interval),
    )
    checkout_record(session=session, api_key=stripe_api.api_key())
    return session["url"]


@durable_service("billing.checkout_record")
def checkout_record(*, session, api_key):
    with stripe_calls_refused(_STORING):
        Session.sync_from_stripe_data(session, api_key=api_key)


def portal_start(*, user):
    """A Stripe customer-portal session (update card, invoices, change plan); returns its URL."""
    customer = Customer.objects.filter(subscriber=user, livemode=settings.STRIPE_LIVE_MODE).first()
    if customer is None:
        raise Conflict("You have no billing account yet: choose a plan first.", extra={"reason": "no_billing_account"})
    session = stripe_call(stripe.billing_portal.Session.create, customer=customer.id, return_url=_absolute("billing"))
    return session["url"]


def _paid_subscription_id(user):
    entitlement = Entitlement.objects.filter(user=user, source="stripe").exclude(stripe_subscription_id="").first()
    if entitlement is None or entitlement.status not in MANAGEABLE_STATUSES:
        raise Conflict("You have no active subscription.", extra={"reason": "no_subscription"})
    return entitlement.stripe_subscription_id


def subscription_set_cancel_at_period_end(*, user, cancel, intent_key=None):
    """Cancel at the end of the paid period (cancel=True) or undo that (resume). `intent_key`
    names the creator's intent (see intent_idempotency_key)."""
    subscription_id = _paid_subscription_id(user)
    owner_account_ready()
    data = stripe_call(
        stripe.Subscription.modify,
        id=subscription_id,
        cancel_at_period_end=cancel,
        expand=SUBSCRIPTION_EXPAND,
        idempotency_key=intent_idempotency_key("cancel-at-period-end", user=user, intent_key=intent_key,
                                               subscription=subscription_id, cancel=int(cancel)),
    )
    return subscription_store(user=user, data=data, api_key=stripe_api.api_key())


@durable_service("billing.subscription_store")
def subscription_store(*, user, data, api_key):
    """Store a subscription Stripe just returned and apply it to the entitlement."""
    with stripe_calls_refused(_STORING):
        subscription = Subscription.sync_from_stripe_data(data, api_key=api_key)
    return stripe_sync.subscription_state_apply(user=user, subscription_id=subscription.id, data=subscription.stripe_data)


def customer_resync(*, user):
    """Ops: fetch the creator's subscriptions from Stripe and apply the newest (admin action)."""
    customer = Customer.objects.filter(subscriber=user, livemode=settings.STRIPE_LIVE_MODE).first()
    if customer is None:
        raise Conflict("This creator has no Stripe customer.", extra={"reason": "no_billing_account"})
    owner_account_ready()
    listing = stripe_call(
        stripe.Subscription.list,
        customer=customer.id,
        status="all",
        limit=10,
        expand=[f"data.{path}" for path in SUBSCRIPTION_EXPAND],
    )
    subscriptions = sorted(listing["data"], key=lambda s: s["created"], reverse=True)
    return subscription_store(user=user, data=subscriptions[0], api_key=stripe_api.api_key()) if subscriptions else None
