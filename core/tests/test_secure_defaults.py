"""Sensible defaults (issue 28): signed-in pages and /api/v1/me sent no Cache-Control; API tokens
never expired by default and survived logging out of the website; Django's CSRF failure page
styled itself inline, which the CSP blocks."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import CreatorFactory

SIGNED_IN_PAGES = ["/dashboard/", "/roadmap/", "/ideas/", "/milestones/", "/billing/", "/pricing/", "/api/v1/me"]


def _private(response):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.django_db
@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_every_signed_in_page_and_api_answer_is_no_store_private(roadmap, path):
    client = Client()
    client.force_login(CreatorFactory(platform="youtube"))

    response = client.get(path)

    assert response.status_code == 200 and _private(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/integrity/", "/admin/transactions/", "/admin/accounts/user/"])
def test_the_ops_pages_are_no_store_private(roadmap, path):
    client = Client()
    client.force_login(User.objects.create_superuser("ops-cache@example.com", "x-long-password"))

    response = client.get(path)

    assert response.status_code == 200 and _private(response)


@pytest.mark.django_db
def test_a_token_answer_is_no_store_private_and_an_anonymous_page_stays_cacheable(roadmap):
    user = CreatorFactory(platform="youtube")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    assert _private(api.get("/api/v1/me")) and _private(api.get("/api/v1/roadmap"))
    assert "no-store" not in Client().get("/").get("Cache-Control", "")


@pytest.mark.django_db
def test_tokens_expire_by_default(roadmap):
    from django.conf import settings

    token = Token.objects.create(user=CreatorFactory(platform="youtube"))
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=31))

    response = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert 0 < settings.API_TOKEN_MAX_AGE <= 31 * 24 * 3600
    assert response.status_code == 401 and not Token.objects.exists()


@pytest.mark.django_db
def test_logging_out_of_the_website_revokes_the_api_token(roadmap):
    user = CreatorFactory(platform="youtube")
    key = Token.objects.create(user=user).key
    client = Client()
    client.force_login(user)

    client.post("/logout/")

    assert APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


@pytest.mark.django_db
def test_the_csrf_failure_page_uses_the_site_stylesheet_within_the_csp():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "a@example.com", "password": "x"})

    page = response.content.decode()
    assert response.status_code == 403 and "Content-Security-Policy" in response
    assert "css/app.css" in page and "<style" not in page and "This form has expired" in page


@pytest.mark.django_db
def test_a_csrf_failure_under_the_api_stays_in_the_envelope(roadmap):
    client = Client(enforce_csrf_checks=True)
    client.force_login(CreatorFactory(platform="youtube"))

    response = client.post("/api/v1/ideas", {"title": "x"}, content_type="application/json")

    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
