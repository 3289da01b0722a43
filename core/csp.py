"""django-csp's middleware with the Content-Security-Policy header built once per process.

django-csp 4.0 rebuilds the policy string from the settings on every response (a dataclass
copy, a walk over every directive, two passes for the enforced and the report-only header), a
cost every request paid, JSON and redirects included. The policy only changes with the settings
and, on a page that used it, the nonce: so each header is built once with a slot where the nonce
goes, and filled per response. A response a view decorated (csp_exempt, csp_update, csp_replace,
csp_override) and the DEBUG error pages take django-csp's own path unchanged."""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.middleware import request_bound

# What django-csp's decorators set on a response to change its policy.
_PER_RESPONSE_ATTRIBUTES = frozenset(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace", "exempt") for suffix in ("", "_ro")
)
# Never in a policy built from settings (a header value cannot hold it): where the nonce goes.
_NONCE_SLOT = "\x00"


class _Header:
    def __init__(self, name, setting, report_only):
        policy = getattr(settings, setting, None) or {}
        self.name = name
        self.excluded_prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
        self.without_nonce = build_policy(report_only=report_only)
        self.with_nonce_slot = build_policy(nonce=_NONCE_SLOT, report_only=report_only)

    def value(self, nonce):
        return self.without_nonce if nonce is None else self.with_nonce_slot.replace(_NONCE_SLOT, nonce)


@functools.cache
def _headers():
    headers = (
        _Header(HEADER, "CONTENT_SECURITY_POLICY", report_only=False),
        _Header(HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", report_only=True),
    )
    return tuple(header for header in headers if header.without_nonce)


@receiver(setting_changed)
def _forget_headers(setting, **kwargs):
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _headers.cache_clear()


# django-csp makes one per response; it never holds a value (asking raises), so one serves all.
_NONCE_AFTER_HEADER = CheckableLazyObject(DjangoCSPMiddleware._csp_nonce_post_response)


class CSPMiddleware(DjangoCSPMiddleware):
    def process_request(self, request):
        # django-csp's lazy nonce, holding the request weakly (no reference cycle).
        request.csp_nonce = CheckableLazyObject(request_bound(self._make_nonce, request))

    def process_response(self, request, response):
        # One set operation on the response's attributes, not eight hasattr calls.
        if settings.DEBUG or not _PER_RESPONSE_ATTRIBUTES.isdisjoint(vars(response)):
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        for header in _headers():
            if header.name not in response and not request.path_info.startswith(header.excluded_prefixes):
                response[header.name] = header.value(nonce)
        # As django-csp does: a nonce first asked for after the header was written is an error.
        if nonce is None:
            request.csp_nonce = _NONCE_AFTER_HEADER
        return response
