"""Hostile bodies are 400s (issue 28): ~930 levels of JSON to the API or 3,000 `[` to the
webhook raised RecursionError (a 500 with a traceback); a 50 MB multipart post to /login/ was
read whole before CSRF refused it (the control-character middleware read request.POST first)."""

import json
import logging

import pytest
from django.http import HttpRequest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import CreatorFactory, signup_payload
from core.bodylimits import JSON_MAX_DEPTH, json_depth

DEEP = 1000


def _nested_list(depth):
    return "[" * depth + "]" * depth


def _nested_object(depth):
    return '{"a":' * depth + "1" + "}" * depth


@pytest.fixture
def loud(caplog):
    caplog.set_level(logging.ERROR)
    return caplog


@pytest.mark.django_db
@pytest.mark.parametrize("body", [_nested_list(DEEP), _nested_object(DEEP), "[" * 3000])
@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/auth/signup", "/api/v1/ideas"])
def test_deeply_nested_json_is_a_400_on_every_api_endpoint(catalogue, path, body, loud):
    api = APIClient()
    if path == "/api/v1/ideas":
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=CreatorFactory()).key}")
    users = User.objects.count()

    response = api.post(path, body, content_type="application/json")

    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_request"
    assert "nested deeper" in response.json()["error"]["message"]
    assert User.objects.count() == users and not [r for r in loud.records if r.levelno >= logging.ERROR]


@pytest.mark.django_db
def test_json_at_the_depth_limit_is_parsed(catalogue):
    payload = signup_payload(niche="")
    nested = json.dumps({**payload, "extra": json.loads(_nested_list(JSON_MAX_DEPTH - 1))})

    response = APIClient().post("/api/v1/auth/signup", nested, content_type="application/json")

    assert response.status_code == 202 and User.objects.count() == 1


def test_the_depth_scan_skips_strings_and_escapes():
    assert json_depth(b'{"a": "[[[[[[{{{{\\"[[[["}') == 1
    assert json_depth(b'[[1], [[2]], "]]]]"]') == 3
    assert json_depth(b'["\\\\", ["\\\\\\"[["]]') == 2  # an escaped backslash, then an escaped quote
    assert json_depth(b"[" * 5000) == 5000 and json_depth(b"1") == 0


@pytest.fixture
def body_reads(monkeypatch):
    """Every time anything parses a request's form body."""
    reads = []
    original = HttpRequest._load_post_and_files

    def spy(request):
        reads.append(request.path)
        return original(request)

    monkeypatch.setattr(HttpRequest, "_load_post_and_files", spy)
    return reads


@pytest.mark.django_db
def test_csrf_judges_a_multipart_post_before_anything_reads_its_body(body_reads):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "a@example.com", "password": "x", "blob": "y" * 100_000})

    assert response.status_code == 403 and body_reads == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/auth/token", "/signup/"])
def test_a_body_over_the_limit_is_a_400_before_anything_reads_it(path, body_reads, settings):
    response = Client().post(path, {"username": "a@example.com", "password": "x"},
                             CONTENT_LENGTH=str(50 * 1024 * 1024))

    assert response.status_code == 400 and body_reads == []
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.FILE_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_BODY_MAX_BYTES


@pytest.mark.django_db
def test_an_api_body_over_the_limit_is_a_400_in_the_envelope(settings):
    settings.REQUEST_BODY_MAX_BYTES = 1000

    response = APIClient().post("/api/v1/auth/token", {"email": "a@example.com", "password": "x" * 2000}, format="json")

    assert response.status_code == 400 and response.json()["error"]["code"] == "too_large"
