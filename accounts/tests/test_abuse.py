"""Email flooding and enumeration: the resend button, the signup page (sharing the API's
per-IP counter) and the signup notice to the owner of a taken email are throttled; seed_demo
refuses to publish a superuser without DEBUG."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from accounts.tests.factories import CreatorFactory, signup_payload

ROOT = Path(__file__).resolve().parents[2]


def _jobs(name):
    return DBTaskResult.objects.filter(task_path=f"accounts.jobs.{name}").count()


@pytest.mark.django_db
def test_twenty_five_resends_queue_three_emails(catalogue, settings):
    creator = CreatorFactory(email="flood@example.com")
    DBTaskResult.objects.all().delete()
    client = Client()
    client.force_login(creator)

    for _ in range(24):
        client.post("/verify/resend/")
    last = client.post("/verify/resend/", follow=True)

    assert _jobs("send_verification_email") == 3  # THROTTLE_VERIFICATION_RESEND 3/hour
    assert "You asked for several links already" in last.content.decode()


@pytest.mark.django_db
def test_the_signup_page_is_throttled_per_ip_and_shares_the_apis_counter(catalogue, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup": "3/hour"}
    pages = [Client().post("/signup/", {**signup_payload(email=f"p{n}@example.com")}).status_code for n in range(2)]
    api = Client().post("/api/v1/auth/signup", signup_payload(email="a@example.com"), content_type="application/json")
    refused_page = Client().post("/signup/", signup_payload(email="p9@example.com"))
    refused_api = Client().post("/api/v1/auth/signup", signup_payload(email="b@example.com"), content_type="application/json")

    assert pages == [302, 302] and api.status_code == 202
    assert refused_page.status_code == 429 and refused_api.status_code == 429
    assert int(refused_page["Retry-After"]) > 0
    assert User.objects.count() == 3
    assert Client().post("/signup/", signup_payload(email="p8@example.com"), REMOTE_ADDR="198.51.100.3").status_code == 302


@pytest.mark.django_db
def test_twenty_two_signup_pages_send_twenty_emails(catalogue):
    DBTaskResult.objects.all().delete()
    answers = [Client().post("/signup/", signup_payload(email=f"s{n}@example.com")).status_code for n in range(22)]
    assert answers == [302] * 20 + [429] * 2
    assert _jobs("send_verification_email") == 20


@pytest.mark.django_db
def test_notices_to_the_owner_of_a_taken_email_are_throttled_too(catalogue, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup": "1000/hour"}
    CreatorFactory(email="owner@example.com")
    DBTaskResult.objects.all().delete()
    answers = {Client().post("/signup/", signup_payload(email="owner@example.com"), REMOTE_ADDR=f"198.51.100.{n}").url
               for n in range(1, 9)}
    assert answers == {"/signup/sent/"} and _jobs("send_account_exists_email") == 3


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_unless_forced(settings, catalogue):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(is_superuser=True).exists()

    call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))
    assert User.objects.filter(is_superuser=True).count() == 1


def test_no_page_reads_request_post_or_get_by_hand():
    """Every field a page reads goes through a Django form (the test-only views under
    core/testing are not pages)."""
    by_hand = re.compile(r"request\.(POST|GET)(\.get\(|\.getlist\(|\[)")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in ("accounts", "tasks", "milestones", "core", "usage", "billing")
        for path in (ROOT / app).rglob("*.py") if "tests" not in path.parts and "testing" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1) if by_hand.search(line)
    ]
    assert offenders == []
