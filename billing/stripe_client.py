"""The HTTP client every Stripe call goes through, and the one place that can refuse a call.

Our rule (DESIGN.md §3.2) is: call Stripe first, outside any transaction, then store what it
returned in a short transaction that makes no further call. dj-stripe's sync fetches whatever it
lacks (a product it has not seen, that product's features) from inside that transaction, so the
storing transactions run under `stripe_calls_refused()`: a request attempted there fails at once
with `StripeCallRefused` and never reaches the network. dj-stripe skips the product features it
cannot read (it logs a warning; we sell by price and never read them); anything else it would
need fails the store loudly instead of holding row locks across a round trip to Stripe.
"""

import contextlib
import contextvars

import stripe
from django.conf import settings

_refusing = contextvars.ContextVar("stripe_calls_refused", default=None)


class StripeCallRefused(stripe.APIConnectionError):
    """A Stripe call was attempted where none may happen (inside a storing transaction)."""


class GuardedRequestsClient(stripe.RequestsClient):
    """stripe-python's requests client, refusing calls inside `stripe_calls_refused()`."""

    def request(self, method, url, headers, post_data=None):
        reason = _refusing.get()
        if reason is not None:
            raise StripeCallRefused(f"Stripe call {method.upper()} {url} refused: {reason}", should_retry=False)
        return super().request(method, url, headers, post_data)


@contextlib.contextmanager
def stripe_calls_refused(reason):
    """Within the block no Stripe call leaves this process; `reason` says why, in the error."""
    token = _refusing.set(reason)
    try:
        yield
    finally:
        _refusing.reset(token)


def install():
    """Make every Stripe call of this process (ours and dj-stripe's) go through the guarded client,
    with the pinned API version as the default (a call that names no version, e.g. dj-stripe's
    product-features read, sends Stripe-Version: STRIPE_API_VERSION, not stripe-python's own)."""
    stripe.default_http_client = GuardedRequestsClient()
    stripe.api_version = settings.STRIPE_API_VERSION
