"""API token lifecycle: rotated by a password change or reset, revoked by logout, refused
past API_TOKEN_MAX_AGE."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory
from core.testing.jobs import run_queued_jobs

NEW_PASSWORD = "an-entirely-new-passphrase"


@pytest.fixture
def kai(catalogue):
    return CreatorFactory(email="kai@example.com")


def _token(email="kai@example.com", password=DEFAULT_PASSWORD):
    response = APIClient().post("/api/v1/auth/token", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(token):
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me").status_code


@pytest.mark.django_db
def test_a_password_change_revokes_the_token_and_the_next_one_is_new(kai):
    old = _token()
    user = User.objects.get(pk=kai.pk)
    user.set_password(NEW_PASSWORD)
    user.save()

    assert _me(old) == 401
    new = _token(password=NEW_PASSWORD)
    assert new != old and _me(new) == 200


@pytest.mark.django_db
def test_a_password_reset_revokes_the_token(kai):
    old = _token()
    client = Client()
    client.post("/password-reset/", {"email": "kai@example.com"})
    run_queued_jobs()
    link = next(line for line in mail.outbox[-1].body.split() if "/reset/" in line)
    form_url = client.get(link).url
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.url == "/reset/done/"
    assert _me(old) == 401 and not Token.objects.filter(key=old).exists()


@pytest.mark.django_db
def test_a_hash_upgrade_at_login_keeps_the_token(kai, settings):
    """Not a password change: Django re-hashes with a newer hasher on a successful login."""
    old = _token()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher", *settings.PASSWORD_HASHERS]
    _token()  # authenticates: the hash is upgraded and saved
    assert User.objects.get(pk=kai.pk).password.startswith("pbkdf2_sha1$")
    assert _me(old) == 200


@pytest.mark.django_db
def test_logout_revokes_the_token(kai):
    token = _token()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.post("/api/v1/auth/logout").status_code == 204
    assert _me(token) == 401
    assert client.post("/api/v1/auth/logout").status_code == 401


@pytest.mark.django_db
def test_logout_with_a_session_ends_it_and_needs_csrf(kai):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(kai)
    refused = client.post("/api/v1/auth/logout")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"

    client = APIClient()
    client.force_login(kai)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code in (401, 403)


@pytest.mark.django_db
def test_a_token_past_the_maximum_age_is_refused_and_replaced(kai, settings):
    settings.API_TOKEN_MAX_AGE = 3600
    old = _token()
    Token.objects.filter(key=old).update(created=timezone.now() - datetime.timedelta(seconds=3601))

    response = APIClient(HTTP_AUTHORIZATION=f"Token {old}").get("/api/v1/me")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]
    new = _token()
    assert new != old and _me(new) == 200


@pytest.mark.django_db
def test_without_a_maximum_age_an_old_token_works(kai, settings):
    settings.API_TOKEN_MAX_AGE = 0
    old = _token()
    Token.objects.filter(key=old).update(created=timezone.now() - datetime.timedelta(days=3650))
    assert _me(old) == 200 and _token() == old


@pytest.mark.django_db
def test_planted_tokens_that_survive_a_password_change_fail_the_rotation_test(kai, monkeypatch):
    """The defect planted back (User.save without the revocation): the old token still works."""
    from django.contrib.auth.base_user import AbstractBaseUser

    monkeypatch.setattr(User, "save", AbstractBaseUser.save)
    old = _token()
    user = User.objects.get(pk=kai.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert _me(old) == 200
