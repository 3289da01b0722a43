"""Email change with re-verification: the swap, its emails, the race, the "this wasn't me" link."""

import re
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import account_services
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory
from core.errors import EmailTaken, InvalidInput
from core.testing.jobs import queued_job_names, run_queued_jobs


@pytest.fixture
def creator(catalogue):
    user = CreatorFactory(email="mia@example.com", display_name="Mia")
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    run_queued_jobs()
    mail.outbox.clear()
    return User.objects.select_related("profile", "stats").get(pk=user.pk)


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def _link(message, prefix):
    return re.search(rf"http://testserver({prefix}\S+)", message.body).group(1)


@pytest.mark.django_db
def test_the_swap_resets_verification_revokes_the_rest_and_emails_both_addresses(creator):
    here, elsewhere = _signed_in(creator), _signed_in(creator)
    Token.objects.create(user=creator)

    response = here.post("/settings/email/",
                         {"email-new_email": "Mia.New@Example.com", "email-password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    user = User.objects.get(pk=creator.pk)
    assert user.email == "Mia.New@example.com" and user.email_verified_at is None
    assert not Token.objects.filter(user=user).exists()
    assert here.get("/settings/").status_code == 200  # this session stays
    assert elsewhere.get("/settings/").status_code == 302  # the other one is signed out
    assert sorted(queued_job_names()[-3:]) == ["send_email_changed_notice", "send_verification_email",
                                              "stripe_customer_email_sync"]
    run_queued_jobs()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"mia@example.com", "Mia.New@example.com"}
    assert "Mia.New@example.com" in by_address["mia@example.com"].body
    # The verification link from the new inbox verifies the new address.
    assert Client().get(_link(by_address["Mia.New@example.com"], "/verify/")).status_code == 200
    assert User.objects.get(pk=creator.pk).is_verified


@pytest.mark.django_db
def test_this_wasnt_me_puts_the_old_address_back_and_signs_everyone_out(creator):
    here = _signed_in(creator)
    account_services.email_change(user=creator, new_email="thief@example.com", password=DEFAULT_PASSWORD)
    run_queued_jobs()
    notice = next(m for m in mail.outbox if m.to == ["mia@example.com"])
    undo = _link(notice, "/settings/email/undo/")

    visitor = Client()
    assert visitor.get(undo).status_code == 200 and User.objects.get(pk=creator.pk).email == "thief@example.com"
    assert visitor.post(undo).status_code == 200

    user = User.objects.get(pk=creator.pk)
    assert user.email == "mia@example.com" and user.is_verified
    assert here.get("/settings/").status_code == 302
    assert "send_password_reset_email" in queued_job_names()[-2:]
    assert visitor.post(undo).status_code == 400  # used: the account no longer has the new address


@pytest.mark.django_db
def test_a_taken_address_or_a_wrong_password_changes_nothing(creator):
    CreatorFactory(email="taken@example.com")
    jobs_before = len(queued_job_names())
    with pytest.raises(EmailTaken):
        account_services.email_change(user=creator, new_email="TAKEN@example.com", password=DEFAULT_PASSWORD)
    with pytest.raises(InvalidInput) as wrong:
        account_services.email_change(user=creator, new_email="free@example.com", password="not-it")
    assert "password" in wrong.value.fields
    user = User.objects.get(pk=creator.pk)
    assert (user.email, user.is_verified) == ("mia@example.com", True)
    assert len(queued_job_names()) == jobs_before


@pytest.mark.django_db
def test_the_api_answers_409_email_taken(creator):
    CreatorFactory(email="taken@example.com")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    response = api.post("/api/v1/me/email", {"new_email": "Taken@example.com", "password": DEFAULT_PASSWORD},
                        format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "email_taken"
    ok = api.post("/api/v1/me/email", {"new_email": "mia2@example.com", "password": DEFAULT_PASSWORD}, format="json")
    assert ok.status_code == 200 and ok.json() == {"email": "mia2@example.com", "email_verified": False}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_accounts_racing_for_one_address_one_wins_the_other_gets_409(catalogue):
    first, second = CreatorFactory(email="a@example.com"), CreatorFactory(email="b@example.com")
    barrier, outcomes = threading.Barrier(2), {}

    def change(user):
        try:
            barrier.wait()
            account_services.email_change(user=user, new_email="same@example.com", password=DEFAULT_PASSWORD)
            outcomes[user.pk] = "changed"
        except EmailTaken:
            outcomes[user.pk] = "taken"
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["changed", "taken"]
    loser = next(pk for pk, outcome in outcomes.items() if outcome == "taken")
    assert User.objects.get(pk=loser).email in ("a@example.com", "b@example.com")
    assert User.objects.filter(email__iexact="same@example.com").count() == 1
