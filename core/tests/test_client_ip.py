"""One client IP for every throttle, the login lockout, /metrics and the logs (core.client_ip),
with X-Forwarded-For chains as a TLS proxy (or two) sends them."""

import logging

import pytest
from django.test import Client, RequestFactory
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import CreatorFactory
from core import client_ip as client_ip_module
from core.client_ip import client_ip
from core.logs import JsonFormatter, RequestIdFilter

CLIENT, OTHER_CLIENT, PROXY, INNER_PROXY = "198.51.100.7", "198.51.100.8", "10.0.0.2", "10.0.0.3"


def _request(remote=PROXY, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "trusted", "remote", "forwarded", "expected"),
    [
        # No proxy configured: the connection's address; the header is the client's own claim.
        (0, [], CLIENT, "203.0.113.66", CLIENT),
        # One proxy: it appended the address it saw; anything to its left was sent by the client.
        (1, [], PROXY, CLIENT, CLIENT),
        (1, [], PROXY, f"203.0.113.66, {CLIENT}", CLIENT),
        (1, [], PROXY, f"203.0.113.66,{CLIENT}", CLIENT),
        # Two proxies: the client is second from the right.
        (2, [], INNER_PROXY, f"203.0.113.66, {CLIENT}, {PROXY}", CLIENT),
        # A chain shorter than the proxies configured: its leftmost entry.
        (2, [], INNER_PROXY, CLIENT, CLIENT),
        # No header behind a proxy, or garbage in it: the connection's address.
        (1, [], PROXY, None, PROXY),
        (1, [], PROXY, "not-an-address", PROXY),
        (1, [], PROXY, "", PROXY),
        # IPv6 in the chain.
        (1, [], PROXY, "2001:db8::1", "2001:db8::1"),
        # Trusted proxies: a connection from elsewhere went around the proxy; its header is ignored.
        (1, ["10.0.0.0/8"], PROXY, CLIENT, CLIENT),
        (1, ["10.0.0.0/8"], "203.0.113.9", CLIENT, "203.0.113.9"),
    ],
)
def test_client_ip_from_forwarded_chains(settings, proxies, trusted, remote, forwarded, expected):
    settings.NUM_PROXIES, settings.TRUSTED_PROXIES = proxies, trusted
    assert client_ip(_request(remote, forwarded)) == expected


@pytest.fixture
def behind_one_proxy(settings):
    settings.NUM_PROXIES = 1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset": "2/3600"}


def _reset_jobs():
    return DBTaskResult.objects.filter(task_path="accounts.jobs.send_password_reset_email").count()


def _reset_from(client_address, email):
    return Client().post("/password-reset/", {"email": email}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


@pytest.mark.django_db
def test_behind_the_proxy_each_creator_has_their_own_reset_limit(behind_one_proxy):
    """Before: every request came from the proxy's address, so the 5 resets an hour were
    everyone's together, and a sixth creator silently got no email."""
    for n in range(4):
        CreatorFactory(email=f"c{n}@example.com")
    DBTaskResult.objects.all().delete()

    for n in range(4):
        _reset_from(f"198.51.100.{n + 1}", f"c{n}@example.com")

    assert _reset_jobs() == 4


@pytest.mark.django_db
def test_behind_the_proxy_one_client_still_meets_its_limit_whatever_it_claims(behind_one_proxy):
    """A client that writes its own X-Forwarded-For entries does not get new addresses: the
    proxy appends the real one on the right."""
    for n in range(4):
        CreatorFactory(email=f"c{n}@example.com")
    DBTaskResult.objects.all().delete()

    for n in range(4):
        _reset_from(f"203.0.113.{n}, {CLIENT}", f"c{n}@example.com")

    assert _reset_jobs() == 2


@pytest.mark.django_db
def test_planted_remote_addr_shares_one_limit_behind_the_proxy(behind_one_proxy, monkeypatch):
    """The defect the tests above guard against, planted back: the throttle keyed by REMOTE_ADDR."""
    monkeypatch.setattr("accounts.views.client_ip", lambda request: request.META["REMOTE_ADDR"])
    for n in range(4):
        CreatorFactory(email=f"c{n}@example.com")
    DBTaskResult.objects.all().delete()

    for n in range(4):
        _reset_from(f"198.51.100.{n + 1}", f"c{n}@example.com")

    assert _reset_jobs() == 2  # the 3rd and 4th creators got nothing: the old bug


@pytest.mark.django_db
def test_metrics_behind_a_proxy_on_the_same_host(settings):
    """A proxy on 127.0.0.1 made every client look local. With NUM_PROXIES the client's own
    address decides; without it, a forwarded request is never trusted as local."""
    settings.NUM_PROXIES = 0
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=CLIENT).status_code == 403

    settings.NUM_PROXIES = 1
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=CLIENT).status_code == 403
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
    # A client cannot claim to be local: the proxy appends its real address.
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {CLIENT}").status_code == 403


@pytest.mark.django_db
def test_api_throttle_counts_the_forwarded_client(settings):
    settings.NUM_PROXIES = 1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "2/minute"}

    def token(address):
        return Client().post("/api/v1/auth/token", {"email": "x@example.com", "password": "x"},
                             content_type="application/json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address).status_code

    first = [token(CLIENT) for _ in range(3)]
    other = token(OTHER_CLIENT)

    assert first == [400, 400, 429] and other == 400


@pytest.mark.django_db
def test_logs_carry_the_forwarded_client(settings, caplog):
    settings.NUM_PROXIES = 1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "1/minute"}
    with caplog.at_level(logging.WARNING, logger="creatorcompass.throttle"):
        for _ in range(2):
            Client().post("/api/v1/auth/token", {}, content_type="application/json",
                          REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}")
    [record] = caplog.records
    RequestIdFilter().filter(record)  # as the configured handler does
    assert f"ident={CLIENT}" in record.getMessage()


def test_json_log_lines_have_the_client_ip():
    from core.logs import client_ip_var

    token = client_ip_var.set(CLIENT)
    try:
        record = logging.makeLogRecord({"msg": "hello"})
        RequestIdFilter().filter(record)
    finally:
        client_ip_var.reset(token)
    assert f'"client_ip": "{CLIENT}"' in JsonFormatter().format(record)


def test_the_lockout_uses_the_same_function(settings):
    from axes.helpers import get_client_ip_address

    settings.NUM_PROXIES = 1
    assert get_client_ip_address(_request(PROXY, f"203.0.113.66, {CLIENT}")) == CLIENT
    assert settings.AXES_CLIENT_IP_CALLABLE == f"{client_ip_module.__name__}.client_ip"
