"""Brute force: 40 wrong passwords followed by the right one used to log in. django-axes now
locks an account for one client IP after AXES_FAILURE_LIMIT failures, on /login/, /admin/login/
and the token API; password posts per client IP are throttled before any hashing."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory

ATTACKER, OWNER_IP = "203.0.113.50", "198.51.100.20"


@pytest.fixture
def kai(db):
    return CreatorFactory(email="kai@example.com")


@pytest.fixture(autouse=True)
def _generous_ip_throttle(settings):
    # The lockout is what these tests are about: the per-IP post throttle stays out of the way.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "1000/minute"}


def _login(path, username, password, address=ATTACKER):
    client = Client()
    response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, "_auth_user_id" in client.session


def _forty_wrong_then_right(path, username):
    for n in range(40):
        _login(path, username, f"wrong-{n}")
    return _login(path, username, DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_forty_wrong_passwords_then_the_right_one_is_refused_on_login(kai):
    response, logged_in = _forty_wrong_then_right("/login/", "kai@example.com")

    assert response.status_code == 429 and not logged_in
    assert b"Too many failed logins" in response.content and int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_the_lockout_ignores_letter_case(kai):
    for n in range(5):
        _login("/login/", ["KAI@example.com", "kai@EXAMPLE.com", "Kai@Example.Com"][n % 3], f"wrong-{n}")
    response, logged_in = _login("/login/", "kai@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 429 and not logged_in


@pytest.mark.django_db
def test_the_lockout_is_per_account_and_ip_so_the_owner_still_gets_in(kai):
    _forty_wrong_then_right("/login/", "kai@example.com")

    response, logged_in = _login("/login/", "kai@example.com", DEFAULT_PASSWORD, address=OWNER_IP)

    assert response.status_code == 302 and logged_in


@pytest.mark.django_db
def test_forty_wrong_passwords_then_the_right_one_is_refused_on_the_admin():
    User.objects.create_superuser("root@example.com", DEFAULT_PASSWORD)

    response, logged_in = _forty_wrong_then_right("/admin/login/", "root@example.com")

    assert response.status_code == 429 and not logged_in


@pytest.mark.django_db
def test_the_token_api_is_locked_too_in_the_json_envelope(kai, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "1000/minute"}

    def token(password):
        return Client().post("/api/v1/auth/token", {"email": "kai@example.com", "password": password},
                             content_type="application/json", REMOTE_ADDR=ATTACKER)

    answers = [token(f"wrong-{n}").status_code for n in range(6)]
    right = token(DEFAULT_PASSWORD)

    # The 5th failure (AXES_FAILURE_LIMIT) is answered with the lockout itself.
    assert answers == [400, 400, 400, 400, 429, 429]
    assert right.status_code == 429 and right.json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_planted_no_lockout_lets_the_forty_first_attempt_in(kai, settings):
    """The defect planted back (axes off): the brute force logs in, so the tests above can fail."""
    settings.AXES_ENABLED = False
    response, logged_in = _forty_wrong_then_right("/login/", "kai@example.com")
    assert response.status_code == 302 and logged_in


@pytest.mark.django_db
def test_password_posts_per_ip_are_throttled_before_any_hash(kai, settings, monkeypatch):
    """Each attempt costs a password hash (0.5–0.9 s in production): past THROTTLE_LOGIN a post
    from the same address hashes nothing, whichever account it names."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "3/minute"}
    hashes = []
    original = MD5PasswordHasher.verify
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda self, *args: hashes.append(1) or original(self, *args))
    others = [CreatorFactory(email=f"other{n}@example.com") for n in range(4)]

    answers = [_login("/login/", user.email, "wrong")[0].status_code for user in others]
    admin = _login("/admin/login/", "kai@example.com", "wrong")[0]
    elsewhere = _login("/login/", "kai@example.com", DEFAULT_PASSWORD, address=OWNER_IP)

    assert answers == [200, 200, 200, 429] and admin.status_code == 429
    assert len(hashes) == 3 + 1  # three refused logins, then the owner's from another address
    assert elsewhere[1]
