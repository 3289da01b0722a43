"""Request-wide concerns: a request id for logs, request metrics, and database timeouts,
conflicts that outlasted their retries, or a database that is unreachable (restarting, failing
over) answered as a clean 503 with Retry-After."""

import functools
import logging
import secrets
import time
import weakref

import psycopg
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, InternalError, OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, empty

from core import db_router, metrics
from core.api import error_body
from core.client_ip import client_ip
from core.logs import client_ip_var, request_id_var
from core.textcheck import (
    control_character,
    control_character_message,
    first_control_character,
)
from core.transactions import CONFLICT_STATES, TIMEOUT_STATES

logger = logging.getLogger("creatorcompass.requests")

# PostgreSQL SQLSTATEs answered "busy": lock_not_available (lock_timeout), query_canceled
# (statement_timeout), and a deadlock or serialization failure still there after
# core.transactions re-ran the service (counted there, as gave_up).
_BUSY_STATES = {**TIMEOUT_STATES, **CONFLICT_STATES}
# The server going away: admin_shutdown, crash_shutdown, cannot_connect_now (a restart or a
# failover) and the connection_exception class (08…).
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03"}
RETRY_AFTER_SECONDS = 2


def database_failure_kind(exc):
    """"lock" or "statement" (a timeout), "deadlock" or "serialization" (a conflict),
    "unavailable" (no database), or None (a bug, or not a database error): the failures
    RequestContextMiddleware answers 503 with Retry-After."""
    if not isinstance(exc, (OperationalError, InterfaceError, InternalError)):
        return None
    if isinstance(exc, InterfaceError):
        return "unavailable"  # the connection was closed under us
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None)
    if state in _BUSY_STATES:
        return _BUSY_STATES[state]
    # psycopg gives no SQLSTATE when it cannot reach the server at all (refused, reset), nor when
    # the exchange stopped following the protocol because the server connection was cut mid-way:
    # its own InternalError ("received 2 results from command 'BEGIN'" when PgBouncer's server
    # connection dies as PostgreSQL restarts). The server's internal errors (XX...) carry one.
    if state in _UNAVAILABLE_STATES or (state or "").startswith("08") or (
        state is None and isinstance(cause, (psycopg.OperationalError, psycopg.InternalError))
    ):
        return "unavailable"
    return None


PRIMARY_PIN_COOKIE = "cc_primary_pin"


def _wrote_recently(request):
    """Whether this browser's last write was less than REPLICA_PIN_SECONDS ago (a signed cookie,
    so a client cannot pin other creators' reads; it can only pin its own)."""
    return request.get_signed_cookie(
        PRIMARY_PIN_COOKIE, default=None, salt=PRIMARY_PIN_COOKIE, max_age=settings.REPLICA_PIN_SECONDS
    ) is not None


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID in and out), counts and times it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that builds a dict of every header, which nothing else here needs.
        request_id = request.META.get("HTTP_X_REQUEST_ID")
        # A client-sent id goes into every log line: no control characters (log injection), 64 at most.
        if request_id and control_character(request_id, allow_whitespace=False) is None:
            request_id = request_id[:64]
        else:
            request_id = secrets.token_hex(16)
        token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request))
        # A new request reads from a replica until it writes, unless its browser wrote a moment
        # ago: then the replica may not have replayed that write yet.
        pin = db_router.unpin(pinned=bool(settings.DATABASE_REPLICAS) and _wrote_recently(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if settings.DATABASE_REPLICAS and db_router.wrote():
                response.set_signed_cookie(
                    PRIMARY_PIN_COOKIE, "1", salt=PRIMARY_PIN_COOKIE, max_age=settings.REPLICA_PIN_SECONDS,
                    secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
                )
        finally:
            request_id_var.reset(token)
            client_ip_var.reset(ip_token)
            db_router.reset(pin)
        elapsed = time.perf_counter() - started
        if settings.METRICS_ENABLED:
            match = request.resolver_match
            count, duration = metrics.request_series(match.route if match else "unmatched", request.method,
                                                     response.status_code)
            count.inc()
            duration.observe(elapsed)
        response["X-Request-ID"] = request_id
        # The server's share of a page's time, for the browser's devtools and bench/pages.py.
        response["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
        return response

    def process_exception(self, request, exception):
        """A lock or statement timeout or a conflict that outlasted its retries means "busy",
        and a database that went away (restart, failover) "unavailable", not "broken": the
        request did not complete and every write is all or nothing and safe to replay, so tell
        the client to retry."""
        kind = database_failure_kind(exception)
        if kind is None:
            return None
        context = {}
        # The service that failed, so one request id finds its 503 and its transaction's lines.
        service = getattr(exception, "durable_service", "-")
        extra = {"service": service, "status": 503}
        if kind == "unavailable":
            logger.warning("database unavailable service=%s on %s %s: %s", service, request.method, request.path,
                           exception, extra=extra)
            code, message = "unavailable", "We could not reach our database. Please try again in a moment."
            # The page must not touch the database again (the session behind the user menu).
            context = {"user": AnonymousUser(), "messages": []}
        else:
            if kind in TIMEOUT_STATES.values():
                metrics.DATABASE_TIMEOUTS.labels(kind).inc()
            logger.warning("database busy (%s) service=%s on %s %s", kind, service, request.method, request.path,
                           extra=extra)
            code, message = "busy", "We are busy right now and nothing was changed. Please try again in a moment."
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body(code, message), status=503)
        else:
            response = render(request, "503.html", {"message": message, **context}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _pairs(query_dict):
    """Every (name, value), repeated names included (QueryDict.items() gives only the last)."""
    return ((name, value) for name, values in query_dict.lists() for value in values)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ControlCharacterMiddleware:
    """A control character in the path (none allowed, not even a newline), a query parameter or
    a form field (tab, CR and LF allowed) is a 400 naming where it was, before any view runs:
    nothing is written, and PostgreSQL never sees a NUL. JSON bodies: core.parsers.

    Form fields are read in process_view, which runs after CsrfViewMiddleware's (this middleware
    comes after it): a request CSRF refuses is refused before anything reads its body. Views
    exempt from Django's CSRF check (the API, whose parser takes JSON only and checks it; the
    Stripe webhook) have no form fields to check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        char = control_character(request.path, allow_whitespace=False)
        found = ("path", char) if char is not None else None
        # Parsing an empty query string builds a QueryDict for nothing (most requests).
        if found is None and request.META.get("QUERY_STRING"):
            found = first_control_character(_pairs(request.GET))
        return self.get_response(request) if found is None else _control_character_response(request, found)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.content_type not in _FORM_TYPES or getattr(view_func, "csrf_exempt", False):
            return None
        found = first_control_character(_pairs(request.POST))
        return None if found is None else _control_character_response(request, found)


def _control_character_response(request, found):
    field, char = found
    message = control_character_message(char)
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid", "Some fields are not valid.", {field: [message]}), status=400)
    return render(request, "400.html", {"field": field, "message": message}, status=400)


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty


class RequestBodyLimitMiddleware:
    """A request announcing a body over REQUEST_BODY_MAX_BYTES is a 400 before any middleware,
    CSRF included, or view reads a byte of it (Django reads no more than Content-Length)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_MAX_BYTES
        if _content_length(request) <= limit:
            return self.get_response(request)
        message = f"The request body is larger than {limit} bytes."
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("too_large", message), status=400)
        return render(request, "400.html", {"field": "body", "message": message}, status=400)


class PrivateCacheMiddleware:
    """Every answer to a request that carries credentials (a session cookie, an Authorization
    header) is `Cache-Control: no-store, private` (Django's never-cache headers): a signed-in
    page or API answer must stay out of shared caches and the browser's back-forward history on
    a shared computer. Decided from the request, without loading the session or the user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            add_never_cache_headers(response)
        return response


def request_bound(function, request):
    """functools.partial(function, request) with the request held weakly (a weakref.proxy), for
    the lazy objects the middleware hangs on the request (the user, the message storage, the CSP
    nonce) and for what they build (the message storage keeps the request it was given). Held
    strongly, each makes the request a reference cycle that only the cyclic garbage collector
    frees: every request's objects (its META, its headers, gunicorn's reader) would outlive it
    until the next collection, every request would pay its share of collecting them, and now and
    then a full collection of the whole heap would stall a worker for tens of milliseconds."""
    return functools.partial(function, weakref.proxy(request))


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with request.user and request.auser built by the same functions but holding the
    request weakly (request_bound)."""

    def process_request(self, request):
        if not hasattr(request, "session"):
            raise ImproperlyConfigured("AuthenticationMiddleware needs the session middleware before it.")
        request.user = SimpleLazyObject(request_bound(auth_middleware.get_user, request))
        request.auser = request_bound(auth_middleware.auser, request)


class LazyMessageMiddleware(MessageMiddleware):
    """Django's messages, with the storage (a cookie signer and the session backend) built when a
    request first adds or reads a message: most requests (the API, redirects, assets, health
    checks) do neither, and a storage nobody touched has nothing to save."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(request_bound(default_storage, request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


class LazySessionMiddleware(SessionMiddleware):
    """Django's sessions, with the store of a request that brought no session cookie built when
    the request first uses it: the API (token-authenticated), health checks and assets never
    do, and a new session nobody touched has nothing to save, no cookie to set and no Vary to
    add. A request with a session cookie gets Django's store at once, unchanged (an empty or
    invalid session's cookie is still deleted)."""

    def process_request(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            super().process_request(request)
        else:
            request.session = SimpleLazyObject(self.SessionStore)

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if isinstance(session, SimpleLazyObject) and session._wrapped is empty:
            return response
        return super().process_response(request, response)
