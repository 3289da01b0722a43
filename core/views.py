from django import forms
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache

from core.api import (
    api_bad_request,
    api_forbidden,
    api_not_found,
    api_server_error,
    error_body,
)


@never_cache
def healthz(request):
    """Liveness plus the database: 200 only when the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def dev_transactions(request):
    """`check_transactions` as JSON, for developers: a 404 unless DEBUG is on, and then only for
    a logged-in staff member's POST, which CsrfViewMiddleware checks (about a minute of database
    work: a GET would let an <img> on any site start it). Optional `service` fields pick scenarios."""
    if not settings.DEBUG:
        raise Http404()
    if request.method != "POST":
        response = JsonResponse(error_body("method_not_allowed", "Use POST."), status=405)
        response["Allow"] = "POST"
        return response
    if not (request.user.is_authenticated and request.user.is_staff):
        return api_forbidden(request, message="Staff only.")
    from core.transaction_checks import run_checks

    form = DevTransactionsForm(request.POST)
    names = form.cleaned_data["service"] if form.is_valid() else []
    return JsonResponse([result.as_dict() for result in run_checks(names or None)], safe=False)


class DevTransactionsForm(forms.Form):
    service = forms.MultipleChoiceField(required=False, choices=lambda: [(name, name) for name in _scenario_names()])


def _scenario_names():
    from django.utils.module_loading import autodiscover_modules

    from core.transaction_checks import SCENARIOS
    from core.transactions import DURABLE_SERVICES

    autodiscover_modules("transaction_checks")
    return sorted(set(DURABLE_SERVICES) | set(SCENARIOS))


def landing(request):
    return render(request, "landing.html")


def _is_api(request):
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return api_server_error(request)
    return defaults.server_error(request)


def bad_request(request, exception=None):
    """400 from Django itself (an oversized body, a bad host, a malformed multipart body)."""
    if _is_api(request):
        return api_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return api_forbidden(request, exception)
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the JSON envelope under /api/, else our page with the site's
    stylesheet (Django's own page styles itself inline, which the CSP blocks)."""
    if _is_api(request):
        return api_forbidden(request, message=f"CSRF check failed: {reason}")
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
