"""What every request pays for: a request that needs no session, no user, no messages and no
nonce builds none of them, and the shortcuts taken for it change nothing a page or a browser sees
(the policy header is django-csp's own, nonces differ per page, messages survive a redirect),
and the request leaves nothing behind for the cyclic garbage collector."""

import gc
import re

import pytest
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.db import SessionStore
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client, RequestFactory
from django.urls import path
from django.utils.functional import empty
from prometheus_client import REGISTRY

from core import metrics
from core.csp import CSPMiddleware
from core.middleware import LazyMessageMiddleware, LazySessionMiddleware
from core.views import healthz


def signing_in_with_a_message(request):
    """Everything the middleware makes lazily, made: the user, a message, the CSP nonce."""
    messages.info(request, f"Welcome back, {request.user}.")
    return HttpResponseRedirect(f"/next?nonce={request.csp_nonce}")


urlpatterns = [path("healthz", healthz), path("signing-in", signing_in_with_a_message)]


def directives(header):
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
def test_a_request_without_a_session_cookie_builds_no_session_user_or_message_storage():
    request = Client().get("/healthz").wsgi_request

    assert request.session._wrapped is empty  # core.middleware.LazySessionMiddleware
    assert request.user._wrapped is empty
    assert request._messages._wrapped is empty
    assert "GET" not in vars(request)  # no query string, no QueryDict (core.middleware.ControlCharacterMiddleware)


@pytest.mark.django_db
def test_each_request_metric_series_is_looked_up_once_per_process(monkeypatch):
    """prometheus-client finds a labelled series under a lock; the middleware keeps the series it
    found, and every request still counts (core.metrics.request_series)."""
    metrics.request_series.cache_clear()
    looked_up = []
    real_labels = metrics.REQUESTS.labels
    monkeypatch.setattr(metrics.REQUESTS, "labels", lambda *labels: looked_up.append(labels) or real_labels(*labels))
    counted = REGISTRY.get_sample_value(
        "creatorcompass_http_requests_total", {"route": "healthz", "method": "GET", "status": "200"}) or 0

    for _ in range(3):
        Client().get("/healthz")

    assert looked_up == [("healthz", "GET", "200")]
    assert REGISTRY.get_sample_value(
        "creatorcompass_http_requests_total", {"route": "healthz", "method": "GET", "status": "200"}) == counted + 3


@pytest.mark.django_db
def test_a_session_first_used_by_the_view_is_saved_with_its_cookie(rf):
    """Planted defect: the lazy store's response path skips every session (nothing saved): fails."""
    def signing_in(request):
        request.session["creator"] = 7
        return HttpResponse()

    request = rf.get("/")
    response = LazySessionMiddleware(signing_in)(request)

    key = response.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load() == {"creator": 7}
    assert response["Vary"] == "Cookie"


@pytest.mark.django_db
def test_a_request_with_a_session_cookie_is_served_by_djangos_store_unchanged(rf):
    """A stale or forged cookie is deleted, as Django does. Planted defect: the store lazy for
    every request (an untouched session with a cookie skips Django's response path): fails."""
    request = rf.get("/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=short")

    response = LazySessionMiddleware(lambda request: HttpResponse())(request)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0
    assert isinstance(request.session, SessionStore)


def test_a_message_added_before_a_redirect_is_stored_for_the_next_page(rf):
    def saving(request):
        messages.info(request, "Saved.")
        return HttpResponse(status=302)

    def showing(request):
        return HttpResponse(" ".join(str(message) for message in messages.get_messages(request)))

    redirect = LazySessionMiddleware(LazyMessageMiddleware(saving))(rf.get("/"))
    next_request = rf.get("/")
    next_request.COOKIES["messages"] = redirect.cookies["messages"].value
    page = LazySessionMiddleware(LazyMessageMiddleware(showing))(next_request)

    assert page.content == b"Saved."


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs", "/healthz", "/login/"])
def test_the_policy_header_is_the_one_django_csp_builds(path):
    response = Client().get(path)
    nonce = getattr(response.wsgi_request, "_csp_nonce", None)

    assert directives(response["Content-Security-Policy"]) == directives(build_policy(nonce=nonce))
    assert (nonce is not None) == (path == "/api/v1/docs")  # only the page with an inline script asked for one


@pytest.mark.django_db
def test_each_page_gets_its_own_nonce_the_one_its_inline_scripts_carry():
    nonces = []
    for _ in range(2):
        response = Client().get("/api/v1/docs")
        script_src = directives(response["Content-Security-Policy"])["script-src"]
        (nonce,) = re.findall(r"'nonce-([^']+)'", script_src)
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)

    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_a_changed_policy_setting_changes_the_header(settings):
    Client().get("/healthz")  # the header as built from the settings before the change
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert Client().get("/healthz")["Content-Security-Policy"] == "default-src 'none'"


def test_a_view_decorated_with_django_csp_keeps_its_own_policy(rf):
    exempt = CSPMiddleware(csp_exempt()(lambda request: HttpResponse()))
    updated = CSPMiddleware(csp_update({"img-src": ["https://img.example"]})(lambda request: HttpResponse()))

    assert "Content-Security-Policy" not in exempt(rf.get("/"))
    assert "https://img.example" in directives(updated(rf.get("/"))["Content-Security-Policy"])["img-src"]


@pytest.mark.django_db
def test_a_nonce_asked_for_after_the_header_was_written_is_an_error():
    """Every request, the first and those after one that asked too late (core.csp shares one
    lazy object that only ever raises)."""
    for _ in range(2):
        request = Client().get("/healthz").wsgi_request

        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)
        assert not request.csp_nonce


def garbage_left_by(handler, path):
    """How many objects one request through the whole stack left in reference cycles: what only
    the cyclic garbage collector could free. The test's own connection serves the request (as
    Django's test client keeps it open)."""
    environ = RequestFactory().get(path).environ
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        handler(dict(environ), lambda status, headers: None).close()  # first-request caches
        gc.collect()
        gc.disable()
        statuses = []
        handler(dict(environ), lambda status, headers: statuses.append(status)).close()
        return statuses, gc.collect()
    finally:
        gc.enable()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/signing-in"])
def test_a_request_leaves_no_reference_cycle_behind(settings, path):
    """Planted defects, each failing: Django's AuthenticationMiddleware (request.user and
    request.auser close over the request), LazyMessageMiddleware with functools.partial (the
    storage keeps the request), django-csp's own nonce (a partial over the request)."""
    settings.ROOT_URLCONF = __name__

    statuses, left = garbage_left_by(WSGIHandler(), path)

    assert statuses == ["302 Found" if path == "/signing-in" else "200 OK"]
    assert left == 0
