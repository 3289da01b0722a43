"""The settings page and PATCH /api/v1/me: display name, niche, time zone, email preferences."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import CreatorProfile
from accounts.tests.factories import CreatorFactory


@pytest.fixture
def creator(catalogue):
    return CreatorFactory(email="sol@example.com", platform="youtube", niche="tech", display_name="Sol")


@pytest.fixture
def browser(creator):
    client = Client()
    client.force_login(creator)
    return client


def _profile_post(**overrides):
    data = {"display_name": "Sol", "niche": "tech", "timezone": "UTC", "milestone_emails": "on",
            "reminder_emails": "on"}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


@pytest.mark.django_db
def test_every_signed_in_page_links_to_settings_and_it_states_the_time_zone_rules(browser):
    for page in ("/dashboard/", "/roadmap/", "/milestones/", "/ideas/", "/billing/", "/settings/"):
        assert 'href="/settings/"' in browser.get(page).content.decode(), page
    settings_page = browser.get("/settings/").content.decode()
    assert "a streak continues when you complete a task on the next local day" in settings_page
    assert "quotas reset at local midnight" in settings_page


@pytest.mark.django_db
def test_the_form_saves_time_zone_name_niche_and_each_email_kind(browser, creator):
    response = browser.post("/settings/", _profile_post(display_name="Sol Tran", niche="gaming",
                                                         timezone="Asia/Tokyo", milestone_emails=None,
                                                         reminder_emails="on", news_emails="on"))
    assert response.status_code == 302
    profile = CreatorProfile.objects.get(user=creator)
    assert (profile.display_name, profile.niche, profile.timezone) == ("Sol Tran", "gaming", "Asia/Tokyo")
    assert (profile.milestone_emails, profile.reminder_emails, profile.news_emails) == (False, True, True)


@pytest.mark.django_db
def test_the_form_shows_the_services_errors_and_changes_nothing(browser, creator):
    response = browser.post("/settings/", _profile_post(display_name="Sol\u202eevil", timezone="Mars/Olympus"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Remove the invisible formatting character U+202E" in page and "is not an IANA time zone" in page
    profile = CreatorProfile.objects.get(user=creator)
    assert (profile.display_name, profile.timezone) == ("Sol", "UTC")


@pytest.mark.django_db
def test_patch_me_sets_each_email_kind(creator):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")
    response = api.patch("/api/v1/me", {"reminder_emails": False, "news_emails": True, "timezone": "Europe/Berlin"},
                         format="json")
    assert response.status_code == 200
    profile = response.json()["profile"]
    assert (profile["milestone_emails"], profile["reminder_emails"], profile["news_emails"]) == (True, False, True)
    assert profile["timezone"] == "Europe/Berlin"
    refused = api.patch("/api/v1/me", {"timezone": "Nowhere/Else", "news_emails": False}, format="json")
    assert refused.status_code == 400 and "timezone" in refused.json()["error"]["fields"]
    assert CreatorProfile.objects.get(user=creator).news_emails is True  # the refusal changed nothing
