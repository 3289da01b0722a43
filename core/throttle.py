"""Throttles: fixed-window counters in the shared cache, keyed by scope and who is asking.

One atomic INCR per attempt (Redis: INCR; the key is created with its expiry by ADD first), so
two workers never both read "4" and both let the 5th through. The window is part of the key:
`throttle:<scope>:<ident>:<window number>`. Rates live in settings.THROTTLE_RATES; the client IP
is core.client_ip's, the same as the login lockout's and the logs'.
"""

import functools
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

from core.client_ip import client_ip

logger = logging.getLogger("creatorcompass.throttle")

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate):
    """"5/3600" or "20/hour" -> (count, seconds)."""
    count, _, period = rate.partition("/")
    period = period.strip().lower()
    seconds = int(period) if period.isdigit() else _UNITS[period.rstrip("s") if period not in _UNITS else period]
    return int(count), seconds


@functools.lru_cache(maxsize=32)
def _rate(scope, rate):
    return parse_rate(rate)


def throttle_hit(scope, ident):
    """Count one attempt of `ident` (an address, an account) in `scope`. Returns 0 when it is
    allowed, else the seconds until the window ends."""
    count, seconds = _rate(scope, settings.THROTTLE_RATES[scope])
    now = time.time()
    window = int(now // seconds)
    key = f"throttle:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between ADD and INCR: this attempt opens a new window
        cache.add(key, 1, timeout=seconds + 1)
        used = 1
    if used <= count:
        return 0
    wait = max(1, int(seconds - now % seconds))
    if used == count + 1:  # once per window and ident, not once per refused attempt
        logger.warning("throttled scope=%s ident=%s limit=%s/%ss", scope, ident, count, seconds)
    return wait


class ScopedThrottle(BaseThrottle):
    """DRF: the view's `throttle_scope`, per client IP (core.client_ip)."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if scope is None:
            return True
        self._wait = throttle_hit(scope, client_ip(request))
        return self._wait == 0

    def wait(self):
        return self._wait


def throttled_response(request, wait, message="Too many attempts. Please wait a moment and try again.",
                       template="429.html"):
    """429 with Retry-After: the API's envelope under /api/, else a page."""
    if request.path.startswith("/api/"):
        from core.api import error_body

        response = JsonResponse(error_body("throttled", message), status=429)
    else:
        response = render(request, template, {"message": message, "retry_after": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def throttle_posts(scope, ident=client_ip):
    """A page decorator: each POST counts against `scope` for `ident(request)`; past the rate
    the view does not run (no password hashed, no email queued) and the answer is a 429."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                wait = throttle_hit(scope, ident(request))
                if wait:
                    return throttled_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
