"""Password change while signed in, and "sign out everywhere"."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import SignedInSession, User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory
from core.testing.jobs import queued_job_names

NEW_PASSWORD = "another-long-passphrase-2"


@pytest.fixture
def creator(catalogue):
    return CreatorFactory(email="leo@example.com")


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_change_keeps_this_session_ends_the_others_and_rotates_tokens(creator):
    here, elsewhere = _signed_in(creator), _signed_in(creator)
    old_token = Token.objects.create(user=creator).key

    response = here.post("/settings/password/", {"password-current_password": DEFAULT_PASSWORD,
                                                 "password-new_password": NEW_PASSWORD})

    assert response.status_code == 302
    assert User.objects.get(pk=creator.pk).check_password(NEW_PASSWORD)
    assert here.get("/settings/").status_code == 200 and elsewhere.get("/settings/").status_code == 302
    assert not Token.objects.filter(key=old_token).exists()
    assert SignedInSession.objects.filter(user=creator).count() == 1
    assert queued_job_names()[-1] == "send_password_changed_email"


@pytest.mark.django_db
def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(creator):
    here = _signed_in(creator)
    wrong = here.post("/settings/password/", {"password-current_password": "nope",
                                              "password-new_password": NEW_PASSWORD})
    weak = here.post("/settings/password/", {"password-current_password": DEFAULT_PASSWORD,
                                             "password-new_password": "12345678"})
    assert wrong.status_code == weak.status_code == 400
    assert "This is not your current password." in wrong.content.decode()
    assert "entirely numeric" in weak.content.decode()
    assert User.objects.get(pk=creator.pk).check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_password_guesses_are_throttled_like_the_login(creator, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_confirm": "3/hour"}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    answers = [api.post("/api/v1/me/password", {"current_password": f"guess-{n}", "new_password": NEW_PASSWORD},
                        format="json").status_code for n in range(4)]
    assert answers == [400, 400, 400, 429]
    right = api.post("/api/v1/me/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
                     format="json")
    assert right.status_code == 429  # even the right one, until the window ends
    assert User.objects.get(pk=creator.pk).check_password(DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_the_api_change_returns_a_new_working_token(creator):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    response = api.post("/api/v1/me/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
                        format="json")
    assert response.status_code == 200
    assert api.get("/api/v1/me").status_code == 401  # the old token is gone
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_sign_out_everywhere_keeps_only_this_session(creator):
    here, elsewhere = _signed_in(creator), _signed_in(creator)
    Token.objects.create(user=creator)
    assert here.post("/settings/sign-out-everywhere/").status_code == 302
    assert here.get("/settings/").status_code == 200 and elsewhere.get("/settings/").status_code == 302
    assert not Token.objects.filter(user=creator).exists()
