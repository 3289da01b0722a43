import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CreatorProfile, User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory, signup_payload
from accounts.tokens import verification_token_make


@pytest.fixture
def client():
    return Client()


@pytest.mark.django_db
def test_landing_page_invites_to_sign_up(client, catalogue):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/signup/"' in response.content and b"Pro Creator" in response.content


@pytest.mark.django_db
def test_signup_page_offers_platforms_niches_and_timezones(client):
    html = client.get("/signup/").content.decode()
    assert 'value="youtube"' in html and 'value="twitch"' in html
    assert 'value="Europe/Berlin"' in html and 'hx-get="/signup/niches/"' in html


@pytest.mark.django_db
def test_niche_options_follow_the_platform(client):
    html = client.get("/signup/niches/", {"platform": "twitch"}).content.decode()
    assert 'value="speedrunning"' in html and 'value="comedy"' not in html


@pytest.mark.django_db
def test_signup_form_creates_the_account_and_the_link_logs_in_this_browser(client, catalogue):
    response = client.post("/signup/", {**signup_payload(), "platform": "youtube", "niche": "cooking"})

    assert response.status_code == 302 and response.url == "/signup/sent/"
    assert b"Check your inbox" in client.get("/signup/sent/").content
    assert CreatorProfile.objects.get().niche == "cooking"
    verify = client.get(f"/verify/{verification_token_make(User.objects.get())}/")
    assert verify.url == "/dashboard/"
    assert b"Hi New Creator" in client.get("/dashboard/").content
    # Another browser opening the same link is told to log in, not logged in.
    other = Client().get(f"/verify/{verification_token_make(User.objects.get())}/")
    assert other.status_code == 200 and b"Log in" in other.content


@pytest.mark.django_db
def test_signup_form_shows_errors_beside_the_fields_and_writes_nothing(client):
    response = client.post("/signup/", {**signup_payload(), "password": "123", "platform": "tiktok", "niche": "fps"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password_error"' in html and 'id="id_niche_error"' in html
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_form_with_a_taken_email_answers_as_for_a_new_one_and_emails_the_owner(client, catalogue):
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from core.testing.jobs import run_queued_jobs

    CreatorFactory(email="dup@example.com")
    DBTaskResult.objects.all().delete()
    taken = client.post("/signup/", {**signup_payload(email="DUP@example.com"), "platform": "youtube", "niche": ""})
    fresh = Client().post("/signup/", {**signup_payload(email="new@example.com"), "platform": "youtube", "niche": ""})

    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url) == (302, "/signup/sent/")
    assert b"already exists" not in client.get(taken.url).content
    assert User.objects.filter(email__iexact="dup@example.com").count() == 1
    run_queued_jobs()
    [notice] = [m for m in mail.outbox if m.to == ["dup@example.com"]]
    assert "tried to create" in notice.subject and "/password-reset/" in notice.body


@pytest.mark.django_db
def test_login_with_email_in_any_case_and_logout(client, catalogue):
    CreatorFactory(email="lee@example.com", display_name="Lee")

    response = client.post("/login/", {"username": "LEE@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert b"Hi Lee" in client.get("/dashboard/").content

    client.post("/logout/")
    assert client.get("/dashboard/").url.startswith("/login/")


@pytest.mark.django_db
def test_login_with_a_wrong_password_is_refused(client):
    CreatorFactory(email="lee@example.com")
    response = client.post("/login/", {"username": "lee@example.com", "password": "nope-nope-nope"})
    assert response.status_code == 200 and b"correct email and password" in response.content


@pytest.mark.django_db
def test_dashboard_shows_the_creators_stats(client, catalogue):
    user = CreatorFactory(display_name="Rae")
    today = timezone.localdate(timezone=user.profile.tzinfo)
    user.stats.__class__.objects.filter(pk=user.pk).update(points=120, current_streak=4, longest_streak=9,
                                                           tasks_completed=7, last_active_on=today)
    client.force_login(user)

    html = client.get("/dashboard/").content.decode()

    assert '<span class="stat-value" id="stat-points">120</span>' in html
    assert '<span class="stat-value" id="stat-streak">4</span>' in html
    assert "Phase 1 (Foundation), week 1" in html


@pytest.mark.django_db
def test_staff_without_a_creator_profile_land_in_the_admin(client):
    client.force_login(User.objects.create_superuser("ops@example.com", "x-long-password"))
    assert client.get("/dashboard/").url == "/admin/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/signup/", "/login/", "/password-reset/"])
def test_forms_are_csrf_protected(path):
    response = Client(enforce_csrf_checks=True).post(path, {})
    assert response.status_code == 403


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client):
    from django.db import OperationalError, connection

    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(database_down):
        response = client.get("/healthz")

    assert response.status_code == 503 and response.json()["database"] == "down"
