"""Request-wide concerns: a request id for logs, request metrics, and database timeouts
answered as a clean 503 with Retry-After."""

import logging
import time
import uuid

from django.conf import settings
from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render

from core import db_router, metrics
from core.api import error_body
from core.logs import request_id_var

logger = logging.getLogger("creatorcompass.requests")

# PostgreSQL SQLSTATEs: lock_not_available (lock_timeout) and query_canceled (statement_timeout).
_TIMEOUT_STATES = {"55P03": "lock", "57014": "statement"}
RETRY_AFTER_SECONDS = 2


def _timeout_kind(exc):
    cause = exc.__cause__
    return _TIMEOUT_STATES.get(getattr(cause, "sqlstate", None))


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID in and out), counts and times it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        token = request_id_var.set(request_id[:64])
        pin = db_router.unpin()  # a new request reads from a replica until it writes
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            db_router.reset(pin)
        elapsed = time.perf_counter() - started
        if settings.METRICS_ENABLED:
            match = request.resolver_match
            route = match.route if match else "unmatched"
            metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
            metrics.REQUEST_SECONDS.labels(route).observe(elapsed)
        response["X-Request-ID"] = request_id[:64]
        # The server's share of a page's time, for the browser's devtools and bench/pages.py.
        response["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
        return response

    def process_exception(self, request, exception):
        """A lock or statement timeout means "busy", not "broken": the transaction rolled
        back whole, so tell the client to retry."""
        if not isinstance(exception, OperationalError):
            return None
        kind = _timeout_kind(exception)
        if kind is None:
            return None
        metrics.DATABASE_TIMEOUTS.labels(kind).inc()
        logger.warning("database %s timeout on %s %s", kind, request.method, request.path)
        message = "We are busy right now and nothing was changed. Please try again in a moment."
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("busy", message), status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
