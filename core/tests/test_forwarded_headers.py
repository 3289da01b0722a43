"""One client IP everywhere (issue 28): `Forwarded` and `X-Real-IP` were ignored, so behind a
same-host proxy that sent only those /metrics saw everyone as local; gunicorn trusted
X-Forwarded-Proto from loopback whatever the app's proxy settings said."""

import runpy
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

from core.client_ip import client_ip

CLIENT, PROXY = "198.51.100.7", "10.0.0.2"


def _request(remote=PROXY, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(("header", "value", "expected"), [
    ("forwarded", f"for={CLIENT}", CLIENT),
    ("forwarded", f'for=203.0.113.66, for="{CLIENT}:4711";proto=https', CLIENT),
    ("forwarded", 'for="[2001:db8::1]:4711"', "2001:db8::1"),
    ("forwarded", "for=unknown", PROXY),
    ("forwarded", "for=_hidden, by=10.0.0.1", PROXY),
    ("forwarded", "proto=https", PROXY),
    ("x-real-ip", CLIENT, CLIENT),
    ("x-real-ip", "not-an-ip", PROXY),
    ("x-forwarded-for", f"203.0.113.66, {CLIENT}:8080", CLIENT),
])
def test_the_configured_header_names_the_client(settings, header, value, expected):
    settings.NUM_PROXIES, settings.FORWARDED_HEADER = 1, header
    meta = {"forwarded": "HTTP_FORWARDED", "x-real-ip": "HTTP_X_REAL_IP", "x-forwarded-for": "HTTP_X_FORWARDED_FOR"}
    assert client_ip(_request(**{meta[header]: value})) == expected


def test_only_the_configured_header_is_believed(settings):
    settings.NUM_PROXIES, settings.FORWARDED_HEADER = 1, "forwarded"

    spoofed = _request(HTTP_X_FORWARDED_FOR="203.0.113.66", HTTP_X_REAL_IP="203.0.113.67", HTTP_FORWARDED=f"for={CLIENT}")

    assert client_ip(spoofed) == CLIENT


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_FORWARDED", "HTTP_X_REAL_IP", "HTTP_X_FORWARDED_FOR"])
def test_metrics_refuses_a_request_forwarded_by_a_proxy_the_settings_do_not_know(settings, header):
    settings.NUM_PROXIES, settings.METRICS_TOKEN = 0, ""
    value = "for=203.0.113.5" if header == "HTTP_FORWARDED" else "203.0.113.5"

    forwarded = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", **{header: value})
    direct = Client().get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert forwarded.status_code == 403 and direct.status_code == 200


@pytest.mark.django_db
def test_metrics_reads_the_client_behind_a_forwarded_proxy(settings):
    settings.NUM_PROXIES, settings.FORWARDED_HEADER, settings.METRICS_TOKEN = 1, "forwarded", ""

    outsider = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=203.0.113.5")
    local = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=127.0.0.1")

    assert outsider.status_code == 403 and local.status_code == 200


def _gunicorn_settings(monkeypatch, **environ):
    for name in ("NUM_PROXIES", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, ""),  # no proxy: gunicorn believes no X-Forwarded-Proto, not even from loopback
    ({"NUM_PROXIES": "1"}, "*"),
    ({"NUM_PROXIES": "1", "TRUSTED_PROXIES": "10.0.0.1/8,::1"}, "10.0.0.0/8,::1/128"),
])
def test_gunicorn_trusts_the_proxies_the_app_trusts(monkeypatch, environ, expected):
    from gunicorn.config import Config

    conf = _gunicorn_settings(monkeypatch, **environ)
    config = Config()
    config.set("forwarded_allow_ips", conf["forwarded_allow_ips"])

    assert conf["forwarded_allow_ips"] == expected
    assert config.forwarded_allow_ips == ([] if not expected else expected.split(","))
