"""What the webhook view checks before dj-stripe sees a delivery, and what it keeps of one.

- The body must be an event as Stripe sends it: an object whose ids are ids (no NUL, no
  number), whose object is the kind its type names, with the fields our handlers read of the
  right type. Anything else is a 400 (retrying cannot make it valid). A delivery that passes and
  still fails in processing is our bug or an outage: a 500, and Stripe redelivers.
- The signature is verified with the endpoint's secret first. An invalid delivery keeps a small
  record only (`INVALID_BODY_CHARS` of its body, no Cookie/Authorization or other header beyond
  `KEPT_HEADERS`), never the whole body.
- The client IP of a delivery is ours (core.client_ip: trusted proxies only), for invalid and
  valid deliveries alike: dj-stripe's own get_remote_ip (the leftmost X-Forwarded-For, whatever
  it holds: `not-an-ip` failed PostgreSQL's inet column, a 500) is replaced at startup. Records
  of invalid deliveries are kept for at most THROTTLE_RATES["webhook_rejected"] per client IP.
- dj-stripe lets `X-Djstripe-Webhook-Secret` choose the secret when DEBUG is on; that header is
  dropped unless STRIPE_WEBHOOK_SECRET_HEADER_OVERRIDE is set as well.
"""

import re

import stripe
from django.conf import settings
from djstripe.models import WebhookEventTrigger, webhooks

from core.client_ip import client_ip
from core.throttle import throttle_hit

INVALID_BODY_CHARS = 2048
KEPT_HEADERS = ("content-type", "content-length", "stripe-signature", "user-agent")
SECRET_HEADER = "x-djstripe-webhook-secret"
_ID = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# The object each event category carries, and the fields our handlers read with their types.
_OBJECTS = {
    "customer.subscription": ("subscription", {"customer": str, "status": str, "items": dict}),
    "invoice": ("invoice", {"customer": str}),
    "checkout.session": ("checkout.session", {}),
    "customer": ("customer", {}),
}


def _is_id(value):
    return isinstance(value, str) and bool(_ID.match(value))


def malformed_reason(payload):
    """Why `payload` cannot be a Stripe event we can process, or None."""
    if not isinstance(payload, dict):
        return "a Stripe event is a JSON object"
    if not _is_id(payload.get("id")) or not isinstance(payload.get("type"), str) or not payload["type"]:
        return "an event has an id and a type"
    if not isinstance(payload.get("created"), int) or isinstance(payload.get("created"), bool):
        return "an event has a created time"
    if not isinstance(payload.get("livemode"), bool):
        return "an event has livemode"
    obj = (payload.get("data") or {}).get("object") if isinstance(payload.get("data"), dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("object"), str):
        return "an event carries an object"
    category = payload["type"].rpartition(".")[0]
    expected = _OBJECTS.get(category)
    if expected is None:
        return None  # not ours: dj-stripe stores it
    kind, fields = expected
    if obj.get("object") != kind or not _is_id(obj.get("id")):
        return f"a {payload['type']} event carries a {kind}"
    for name, kind_of in fields.items():
        value = obj.get(name)
        if not isinstance(value, kind_of) or (name == "customer" and not _is_id(value)):
            return f"{kind}.{name} is not a {kind_of.__name__}" + (" id" if name == "customer" else "")
    amount = obj.get("amount_paid")
    if kind == "invoice" and amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 0):
        return "invoice.amount_paid is not a whole number of cents"
    if kind == "subscription" and not isinstance(obj["items"].get("data"), list):
        return "subscription.items has no data"
    if kind == "checkout.session" and obj.get("subscription") is not None and not _is_id(obj.get("subscription")):
        return "checkout.session.subscription is not an id"
    if kind == "checkout.session" and obj.get("customer") is not None and not _is_id(obj.get("customer")):
        return "checkout.session.customer is not an id"
    return None


def secret_override_allowed():
    return settings.DEBUG and settings.STRIPE_WEBHOOK_SECRET_HEADER_OVERRIDE


def signature_valid(request, endpoint):
    secret = endpoint.secret
    if secret_override_allowed():
        secret = request.headers.get(SECRET_HEADER) or secret
    try:
        stripe.WebhookSignature.verify_header(
            request.body.decode("utf-8"), request.headers.get("stripe-signature", ""), secret, endpoint.djstripe_tolerance
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
        return False
    return True


def kept_headers(headers):
    """The headers worth keeping of a delivery (no Cookie, no Authorization, no secret override)."""
    return {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}


def delivery_ip(request):
    """The delivery's client IP for dj-stripe's records (its field cannot be empty)."""
    return client_ip(request) or "0.0.0.0"


def install_client_ip():
    """dj-stripe records a delivery's IP with its module's get_remote_ip: make it ours."""
    webhooks.get_remote_ip = delivery_ip


def invalid_delivery_record(request, endpoint):
    """A small record of a delivery that failed its signature check, for ops; None (nothing
    kept) past THROTTLE_RATES["webhook_rejected"] from this client IP."""
    ip = delivery_ip(request)
    if throttle_hit("webhook_rejected", f"ip:{ip}"):
        return None
    return WebhookEventTrigger.objects.create(
        headers=kept_headers(request.headers),
        body=request.body[:INVALID_BODY_CHARS].decode("utf-8", errors="replace"),
        remote_ip=ip, valid=False, processed=False,
        stripe_trigger_account=endpoint.djstripe_owner_account, webhook_endpoint=endpoint,
        exception="invalid signature",
    )
