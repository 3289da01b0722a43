"""What we ask Stripe, in one place: the API key, one call with our pinned API version (its errors a
clean 502), and the reads the email jobs make before they send. Every call goes through
billing.stripe_client's guarded HTTP client; call these outside any transaction. Imports no
billing service, so the jobs, the checkout and the account's closing all build on it."""

import stripe
from django.conf import settings
from djstripe.settings import djstripe_settings

from core.errors import UpstreamUnavailable


def api_key():
    key = djstripe_settings.get_default_api_key(livemode=settings.STRIPE_LIVE_MODE)
    if not key:
        raise UpstreamUnavailable("Payments are not set up on this server yet (no Stripe API key).")
    return key


def stripe_call(call, **params):
    """One Stripe call with our pinned API version; Stripe errors become a clean 502."""
    try:
        return call(api_key=api_key(), stripe_version=settings.STRIPE_API_VERSION, **params)
    except stripe.StripeError as exc:
        raise UpstreamUnavailable() from exc


def invoice_is_paid(invoice_id):
    """Whether Stripe says the invoice is paid now (one read; call outside any transaction)."""
    return stripe_call(stripe.Invoice.retrieve, id=invoice_id)["status"] == "paid"
