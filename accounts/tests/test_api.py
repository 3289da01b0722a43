import pytest
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import CreatorProfile, User
from accounts.tests.factories import DEFAULT_PASSWORD, CreatorFactory, signup_payload


@pytest.fixture
def api(catalogue):
    return APIClient()


@pytest.fixture
def creator():
    return CreatorFactory(email="kai@example.com", platform="twitch", niche="rpg", timezone="Asia/Tokyo")


@pytest.fixture
def authed(api, creator):
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    return api


@pytest.mark.django_db
def test_signup_returns_202_check_your_inbox_and_the_token_api_then_gives_a_working_token(api):
    response = api.post("/api/v1/auth/signup", signup_payload(), format="json")

    assert response.status_code == 202
    assert response.json()["email"] == "new.creator@example.com" and "token" not in response.json()
    user = User.objects.get()
    assert (user.profile.platform, user.profile.niche, user.profile.timezone, user.profile.display_name) == (
        "tiktok", "comedy", "America/New_York", "New Creator")
    token = APIClient().post("/api/v1/auth/token", {"email": "new.creator@example.com", "password": DEFAULT_PASSWORD},
                             format="json").json()["token"]
    me = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200 and me.json()["id"] == user.pk and me.json()["stats"]["points"] == 0
    profile = me.json()["profile"]
    assert (profile["milestone_emails"], profile["reminder_emails"], profile["news_emails"], profile["reminder_at"],
            profile["streak_nudge"], profile["phase"], profile["week"]) == (True, True, False, None, True, 1, 1)
    assert DBTaskResult.objects.filter(task_path="accounts.jobs.send_verification_email").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"email": "nope"}, "email"),
        ({"password": "abc"}, "password"),
        ({"platform": "myspace"}, "platform"),
        ({"niche": "knitting"}, "niche"),
        ({"timezone": "Not/AZone"}, "timezone"),
    ],
)
def test_signup_bad_input_is_400_naming_the_field_and_writes_nothing(api, payload, field):
    response = api.post("/api/v1/auth/signup", signup_payload(**payload), format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert User.objects.count() == 0 and DBTaskResult.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["email", "password", "platform"])
def test_signup_missing_field_is_400_naming_it(api, missing):
    payload = signup_payload()
    del payload[missing]

    response = api.post("/api/v1/auth/signup", payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"][missing] == ["This field is required."]
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_malformed_json_is_400(api):
    response = api.generic("POST", "/api/v1/auth/signup", '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_signup_with_a_taken_email_answers_like_a_new_one_and_emails_the_owner(api, creator):
    taken = api.post("/api/v1/auth/signup", signup_payload(email="KAI@EXAMPLE.COM"), format="json")
    new = api.post("/api/v1/auth/signup", signup_payload(email="NEW@EXAMPLE.COM"), format="json")

    assert (taken.status_code, set(taken.json())) == (new.status_code, set(new.json())) == (202, {"email", "detail"})
    assert taken.json()["detail"] == new.json()["detail"]
    assert User.objects.filter(email_canonical="kai@example.com").count() == 1
    assert DBTaskResult.objects.filter(task_path="accounts.jobs.send_account_exists_email").count() == 1


@pytest.mark.django_db
def test_signup_is_throttled_with_429_and_retry_after(api, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup": "2/hour"}
    codes = [
        api.post("/api/v1/auth/signup", signup_payload(email=f"t{i}@example.com"), format="json").status_code
        for i in range(3)
    ]
    response = api.post("/api/v1/auth/signup", signup_payload(email="t9@example.com"), format="json")

    assert codes == [202, 202, 429]
    assert response.status_code == 429 and response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_token_for_right_credentials_in_any_email_case(api, creator):
    response = api.post("/api/v1/auth/token", {"email": "KAI@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=creator).key


@pytest.mark.django_db
def test_token_for_a_wrong_password_is_400_and_issues_nothing(api, creator):
    response = api.post("/api/v1/auth/token", {"email": "kai@example.com", "password": "wrong-password"}, format="json")

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_token_endpoint_is_throttled(api, creator, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "1/minute"}
    api.post("/api/v1/auth/token", {"email": "kai@example.com", "password": "x"}, format="json")
    response = api.post("/api/v1/auth/token", {"email": "kai@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 429


@pytest.mark.django_db
def test_me_requires_authentication_with_401(api):
    response = api.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}}


@pytest.mark.django_db
def test_me_with_a_bad_token_is_401(api):
    response = api.get("/api/v1/me", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_me_shows_profile_and_stats(authed, creator):
    body = authed.get("/api/v1/me").json()

    assert body["email"] == "kai@example.com" and body["email_verified"] is False
    assert body["profile"]["platform"] == "twitch" and body["profile"]["timezone"] == "Asia/Tokyo"
    assert set(body["stats"]) == {"points", "tasks_completed", "current_streak", "longest_streak", "last_active_on"}


@pytest.mark.django_db
def test_me_works_with_session_auth_too(api, creator):
    api.force_login(creator)
    assert api.get("/api/v1/me").json()["email"] == "kai@example.com"


@pytest.mark.django_db
def test_me_patch_changes_niche_timezone_and_display_name(authed, creator):
    response = authed.patch("/api/v1/me", {"niche": "fps", "timezone": "Europe/Paris", "display_name": "Kai Plays"}, format="json")

    assert response.status_code == 200
    assert response.json()["profile"]["niche"] == "fps"
    profile = CreatorProfile.objects.get(user=creator)
    assert (profile.niche, profile.timezone, profile.display_name) == ("fps", "Europe/Paris", "Kai Plays")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [({"niche": "comedy"}, "niche"), ({"timezone": "Nowhere/Town"}, "timezone"), ({"display_name": "   "}, "display_name")],
)
def test_me_patch_bad_input_is_400_and_changes_nothing(authed, creator, payload, field):
    response = authed.patch("/api/v1/me", {"display_name": "Changed", **payload}, format="json")

    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    profile = CreatorProfile.objects.get(user=creator)
    assert (profile.niche, profile.timezone, profile.display_name) == ("rpg", "Asia/Tokyo", creator.profile.display_name)


@pytest.mark.django_db
def test_platform_is_not_editable_through_me(authed, creator):
    authed.patch("/api/v1/me", {"platform": "youtube"}, format="json")
    assert CreatorProfile.objects.get(user=creator).platform == "twitch"


@pytest.mark.django_db
def test_unknown_api_path_and_wrong_method_use_the_envelope(authed):
    missing = authed.get("/api/v1/does-not-exist")
    wrong_method = authed.delete("/api/v1/me")

    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_openapi_schema_as_json_and_docs_page(api):
    schema = api.get("/api/v1/schema?format=json")
    docs = api.get("/api/v1/docs")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/auth/signup", "/api/v1/auth/token", "/api/v1/me"} <= set(paths)
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_me_patch_turns_milestone_emails_off(authed, creator):
    response = authed.patch("/api/v1/me", {"milestone_emails": False}, format="json")
    assert response.json()["profile"]["milestone_emails"] is False
    assert CreatorProfile.objects.get(user=creator).milestone_emails is False
