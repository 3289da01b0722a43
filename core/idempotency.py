"""`Idempotency-Key` on mutating API requests (DESIGN.md §3.13), after the IETF httpapi
idempotency-key draft and Stripe's behaviour.

A creator's POST/PUT/PATCH/DELETE under /api/ carrying the header claims the key first: one
`INSERT … ON CONFLICT DO NOTHING` on the unique (user, key) of `IdempotencyKey`, committed on its
own before the view runs, so of concurrent requests with one key exactly one runs. The others:

- same key, same method, path and body, answer stored: that answer again (`Idempotent-Replayed:
  true`), the service does not run;
- same key, another method, path or body: 422 `idempotency_key_reused`;
- same key while the first request still runs: 409 `idempotency_key_in_use` with Retry-After;
- same key whose request took effect but whose answer was lost (the process died between the
  service's COMMIT and storing the answer): 409 `idempotency_answer_lost`, never a second run.

Where the answer is stored: the durable service the request runs (core.transactions) marks the
key `applied_at` inside its own transaction, so the effect and the mark commit together or not at
all: a key whose effect committed is never run again, whatever dies afterwards, so a quota is
spent once. The answer (status, headers, body) is the view's rendering of the service's result,
built after the service's durable transaction closed, so it is stored by one UPDATE right after;
the window between the two is the `idempotency_answer_lost` case above.

An answer is stored when a service ran (committed, or refused with a domain error) or when the
request succeeded; an answer given before any service ran (bad input, throttled, not allowed, a
database too busy) changed nothing, so the claim is dropped and the key may be sent again. A claim
whose request died before any effect (no `applied_at`) is taken over after
IDEMPOTENCY_KEY_RUNNING_EXPIRY; keys are kept IDEMPOTENCY_KEY_TTL (24 h), then pruned
(`manage.py prune_records`).

Per creator: an anonymous request (signup, token) is not keyed; signup is idempotent by its unique
email.
"""

import contextvars
import dataclasses
import hashlib

from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from core.api import error_body
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Headers of the answer replayed with its body (the rest describe the connection, not the answer).
STORED_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "Retry-After", "Location")


@dataclasses.dataclass
class Claim:
    pk: int
    service_ran: bool = False
    applied: bool = False


_claim_var = contextvars.ContextVar("idempotency_claim", default=None)


def service_ran():
    """A durable service began for the keyed request in this context (if any)."""
    claim = _claim_var.get()
    if claim is not None:
        claim.service_ran = True


def claim_applied():
    """Mark the keyed request's key applied: call inside the durable service's transaction, after
    its writes, so the mark commits with them (core.transactions does)."""
    claim = _claim_var.get()
    if claim is None:
        return
    IdempotencyKey.objects.filter(pk=claim.pk, applied_at__isnull=True).update(applied_at=timezone.now())
    claim.applied = True


def _fingerprint(request):
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _token_authenticators():
    # The API's own authenticators, but not the session's: Django's AuthenticationMiddleware
    # already read it (and its CSRF check is the view's to make).
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.settings import api_settings

    classes = [import_string(c) if isinstance(c, str) else c for c in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    return [cls() for cls in classes if not issubclass(cls, SessionAuthentication)]


def _creator_of(request):
    """The authenticated user of an API request, or None (the view then refuses or lets it in)."""
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request

    if request.user.is_authenticated:
        return request.user
    drf_request = Request(request)
    for authenticator in _token_authenticators():
        try:
            found = authenticator.authenticate(drf_request)
        except APIException:
            return None
        if found is not None:
            return found[0]
    return None


def _refusal(status, code, message, **headers):
    response = JsonResponse(error_body(code, message), status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _replay(record):
    response = HttpResponse(bytes(record.body), status=record.status)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def key_claim(*, user, key, fingerprint, now=None):
    """Claim `key` for `user`: a Claim when this request is to run, else the answer to give."""
    now = now or timezone.now()
    expired = now - settings.IDEMPOTENCY_KEY_TTL
    # A key past its lifetime, or a claim whose request died before any effect, is free again.
    IdempotencyKey.objects.filter(
        Q(created_at__lt=expired) | Q(applied_at__isnull=True, status__isnull=True,
                                      created_at__lt=now - settings.IDEMPOTENCY_KEY_RUNNING_EXPIRY),
        user=user, key=key,
    ).delete()
    record, created = IdempotencyKey.objects.get_or_create(
        user=user, key=key, defaults={"fingerprint": fingerprint, "created_at": now}
    )
    if created:
        return Claim(pk=record.pk)
    if record.fingerprint != fingerprint:
        return _refusal(422, "idempotency_key_reused",
                        f"This {HEADER} was sent with another request (method, path or body): use a new key.")
    if record.status is not None:
        return _replay(record)
    if record.applied_at is not None:
        return _refusal(409, "idempotency_answer_lost",
                        "This request took effect but its answer was lost: read the current state instead of retrying.")
    return _refusal(409, "idempotency_key_in_use", "A request with this key is still running: retry later.",
                    Retry_After="1")


def answer_store(*, claim, response):
    """Store the answer of the request that claimed the key, or drop the claim when no service ran
    and the request failed (nothing changed: the key may be sent again)."""
    if not (claim.applied or claim.service_ran or 200 <= response.status_code < 300):
        IdempotencyKey.objects.filter(pk=claim.pk, applied_at__isnull=True).delete()
        return
    if getattr(response, "streaming", False):
        body = b""  # no API answer streams; an empty body beats consuming the client's stream
    else:
        body = response.content
    headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(pk=claim.pk).update(status=response.status_code, headers=headers, body=body)


class IdempotencyMiddleware:
    """Runs the `Idempotency-Key` protocol (module doc) around mutating API requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        keyed = key is not None and request.method in MUTATING
        if not keyed or not request.path.startswith(settings.IDEMPOTENCY_PATH_PREFIX):
            return self.get_response(request)
        if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable() or not key.isascii():
            return _refusal(400, "invalid", f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable ASCII characters.")
        user = _creator_of(request)
        if user is None:
            return self.get_response(request)
        outcome = key_claim(user=user, key=key, fingerprint=_fingerprint(request))
        if not isinstance(outcome, Claim):
            return outcome
        token = _claim_var.set(outcome)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=outcome.pk, applied_at__isnull=True).delete()
            raise
        finally:
            _claim_var.reset(token)
        answer_store(claim=outcome, response=response)
        return response


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the `Idempotency-Key` header on every mutating operation."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method not in MUTATING:
            return parameters
        return [*parameters, OpenApiParameter(
            HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description=(
                f"Optional, 1-{KEY_MAX_LENGTH} printable ASCII characters, unique per operation. A repeat with the "
                "same key and the same method, path and body within 24 h gets the first answer again (header "
                "Idempotent-Replayed: true) and does not run the operation again, so a quota is spent once. The "
                "same key with another body: 422 idempotency_key_reused. A repeat while the first request still "
                "runs: 409 idempotency_key_in_use (Retry-After)."
            ),
        )]
