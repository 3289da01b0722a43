"""The probe's look-alike addresses (issue 28): PostgreSQL's UPPER() maps "ſ" to "S" and "ı" to
"I", so `email__iexact` found chris for chrıs@ and chriſ@ while the lockout counted each
spelling apart; a look-alike signup made a second account, after which the owner's logins
answered 500 (MultipleObjectsReturned). Accounts now keep one canonical address and one
look-alike skeleton each (accounts.emails), both unique."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from accounts.models import User
from accounts.selectors import email_confusable_taken, user_by_email
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory, signup_payload

ATTACKER = "203.0.113.50"
LOOK_ALIKES_OF_CHRIS = ["chrıs@example.com", "chriſ@example.com", "chrıſ@example.com", "CHRIS@example.com"]


@pytest.fixture(autouse=True)
def _generous_ip_throttle(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "1000/minute", "token": "1000/minute",
                               "signup": "1000/minute"}


def _login(username, password, path="/login/"):
    client = Client()
    response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ATTACKER)
    return response, client.session.get("_auth_user_id")


def _token(email, password):
    return APIClient().post("/api/v1/auth/token", {"email": email, "password": password}, format="json",
                            REMOTE_ADDR=ATTACKER)


@pytest.mark.django_db
@pytest.mark.parametrize("look_alike", LOOK_ALIKES_OF_CHRIS)
def test_after_the_lockout_no_look_alike_signs_in_on_the_page_or_the_api(catalogue, look_alike):
    chris = CreatorFactory(email="chris@example.com")
    for n in range(5):
        _login("chris@example.com", f"wrong-{n}")

    response, signed_in = _login(look_alike, DEFAULT_PASSWORD)
    token = _token(look_alike, DEFAULT_PASSWORD)

    assert response.status_code == 429 and signed_in is None
    assert token.status_code == 429 and "token" not in token.json()
    assert chris.auth_token if hasattr(chris, "auth_token") else True


@pytest.mark.django_db
def test_look_alikes_share_one_lockout_so_they_bring_no_fresh_guesses(catalogue):
    CreatorFactory(email="chris@example.com")
    for n, look_alike in enumerate(LOOK_ALIKES_OF_CHRIS + ["chris@example.com"]):
        _login(look_alike, f"wrong-{n}")

    response, signed_in = _login("chris@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 429 and signed_in is None


@pytest.mark.django_db
def test_a_dotless_i_is_not_chris_and_gets_no_token(catalogue):
    CreatorFactory(email="chris@example.com")

    response, signed_in = _login("chrıs@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 200 and signed_in is None
    assert _token("chrıs@example.com", DEFAULT_PASSWORD).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("owner, look_alike", [("alice@example.com", "alıce@example.com"),
                                               ("ops@example.com", "opſ@example.com"),
                                               ("kai@example.com", "\u212aai@example.com"),  # Kelvin sign
                                               ("ops@example.com", "ops@exаmple.com")])  # Cyrillic а
def test_a_look_alike_signup_makes_no_second_account_and_the_owner_still_signs_in(catalogue, owner, look_alike):
    CreatorFactory(email=owner)

    page = Client().post("/signup/", signup_payload(email=look_alike))
    api = APIClient().post("/api/v1/auth/signup", signup_payload(email=look_alike), format="json")

    assert page.status_code == 302 and page.url == "/signup/sent/"
    assert api.status_code == 202 and "token" not in api.json()
    assert User.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path="accounts.jobs.send_account_exists_email").count() == 2
    response, signed_in = _login(owner, DEFAULT_PASSWORD)
    assert response.status_code == 302 and signed_in is not None
    assert _token(owner, DEFAULT_PASSWORD).status_code == 200


@pytest.mark.django_db
def test_the_ops_admin_still_signs_in_after_a_look_alike_signup(catalogue):
    User.objects.create_superuser("ops@example.com", DEFAULT_PASSWORD)
    Client().post("/signup/", signup_payload(email="opſ@example.com"))

    response, signed_in = _login("ops@example.com", DEFAULT_PASSWORD, path="/admin/login/")

    assert response.status_code == 302 and signed_in is not None


@pytest.mark.django_db
def test_the_reset_limit_counts_every_look_alike_of_one_address(catalogue, settings):
    CreatorFactory(email="chris@example.com")
    spellings = LOOK_ALIKES_OF_CHRIS + ["chris@example.com", "Chris@Example.com", "chriſ@EXAMPLE.com", "chris@example.com"]

    for n, spelling in enumerate(spellings):  # a new client address each time: only the address limit applies
        Client().post("/password-reset/", {"email": spelling}, REMOTE_ADDR=f"198.51.100.{n + 1}")

    counted = DBTaskResult.objects.filter(task_path="accounts.jobs.send_password_reset_email").count()
    assert len(spellings) == 8 and counted <= 5


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_one_canonical_address_or_skeleton(catalogue):
    CreatorFactory(email="chris@example.com")
    for look_alike in ["chriſ@example.com", "chrıs@example.com", "CHRİS@example.com"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(look_alike, DEFAULT_PASSWORD)

    assert user_by_email(email="chriſ@EXAMPLE.com").email == "chris@example.com"
    assert User.objects.get_by_natural_key("CHRIſ@example.com").email == "chris@example.com"


@pytest.mark.django_db
def test_email_confusable_taken_names_look_alikes_and_not_the_owner(catalogue):
    chris = CreatorFactory(email="chris@example.com")

    assert email_confusable_taken(email="chrıs@example.com")
    assert email_confusable_taken(email="Chris@Example.com")
    assert not email_confusable_taken(email="chris@example.com", exclude_user_id=chris.pk)
    assert not email_confusable_taken(email="christa@example.com")


@pytest.mark.django_db
def test_the_admin_refuses_an_address_that_looks_like_another_accounts(catalogue, admin_client):
    CreatorFactory(email="chris@example.com")
    other = CreatorFactory(email="kai@example.com")
    from accounts.admin import CreatorChangeForm

    form = CreatorChangeForm(instance=other, data={"email": "chrıs@example.com"})
    form.is_valid()

    assert "email" in form.errors


@pytest.mark.django_db
def test_the_migration_marks_existing_collisions_and_the_command_reports_them(catalogue):
    import importlib

    from django.apps import apps
    from django.db import connection

    fill = importlib.import_module("accounts.migrations.0003_i28_email_canonical_fill").fill
    chris = CreatorFactory(email="chris@example.com")
    alike = CreatorFactory(email="someone@example.com")
    # What the old case-insensitive index let in: a second account for one canonical address.
    User.objects.filter(pk=alike.pk).update(email="chriſ@example.com", email_canonical="x", email_skeleton="y")

    fill(apps, type("Editor", (), {"connection": connection})())

    chris.refresh_from_db()
    alike.refresh_from_db()
    assert chris.email_canonical == "chris@example.com"
    assert alike.email_canonical == f"!collision:{alike.pk}"
    assert User.objects.get_by_natural_key("chriſ@example.com") == chris
    with pytest.raises(CommandError):
        call_command("email_collisions")
