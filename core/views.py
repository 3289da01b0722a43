from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache

from core.api import api_not_found, api_server_error


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
    """`check_transactions` as JSON, for developers: a 404 unless DEBUG is on."""
    if not settings.DEBUG:
        raise Http404()
    from core.transaction_checks import run_checks

    return JsonResponse([result.as_dict() for result in run_checks()], safe=False)


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
