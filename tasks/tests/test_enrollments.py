import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import Enrollment
from core.errors import InvalidInput, LimitReached, NotFound
from core.faults import InjectedFault, count_writes, fail_after_write, table_of
from core.testing.api import api_client_for
from tasks.models import TaskCompletion
from tasks.services.enrollments import MainPlatform, platform_enroll, platform_leave
from usage.models import Feature
from usage.tests.factories import creator_on, used_of

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 15, 23, 30, tzinfo=UTC)


def followed(user):
    return sorted(Enrollment.objects.filter(user=user).values_list("platform", flat=True))


@pytest.mark.django_db
def test_a_pro_creator_follows_two_more_platforms_and_the_fourth_is_refused(catalogue):
    creator = creator_on("pro", platform="youtube", timezone="Asia/Tokyo")

    tiktok = platform_enroll(user=creator, platform="tiktok", now=NOW)
    platform_enroll(user=creator, platform="twitch", now=NOW)

    assert tiktok.created and tiktok.enrollment.started_on == datetime.date(2026, 1, 16)  # today in Tokyo
    assert followed(creator) == ["tiktok", "twitch", "youtube"] and used_of(creator, Feature.PLATFORMS) == 3


@pytest.mark.django_db
def test_a_free_creator_follows_only_their_main_platform(catalogue):
    creator = creator_on("free", platform="youtube")

    with pytest.raises(LimitReached) as refused:
        platform_enroll(user=creator, platform="tiktok", now=NOW)

    assert (refused.value.extra["limit"], refused.value.extra["used"], refused.value.extra["resets_at"]) == (1, 1, None)
    assert followed(creator) == ["youtube"]


@pytest.mark.django_db
def test_following_a_platform_again_returns_it_and_counts_nothing(catalogue):
    creator = creator_on("pro", platform="youtube")
    first = platform_enroll(user=creator, platform="tiktok", now=NOW)

    with count_writes() as writes:
        again = platform_enroll(user=creator, platform="tiktok", now=NOW)
        main = platform_enroll(user=creator, platform="youtube", now=NOW)

    assert (again.created, again.enrollment.pk, main.created) == (False, first.enrollment.pk, False)
    assert writes == [] and used_of(creator, Feature.PLATFORMS) == 2


@pytest.mark.django_db
def test_leaving_frees_the_slot_for_another_platform(catalogue):
    creator = creator_on("pro", platform="youtube")
    platform_enroll(user=creator, platform="tiktok", now=NOW)
    platform_enroll(user=creator, platform="twitch", now=NOW)

    platform_leave(user=creator, platform="tiktok", now=NOW)

    assert followed(creator) == ["twitch", "youtube"] and used_of(creator, Feature.PLATFORMS) == 2
    assert platform_enroll(user=creator, platform="tiktok", now=NOW).created
    assert used_of(creator, Feature.PLATFORMS) == 3


@pytest.mark.django_db
def test_leaving_keeps_the_completions_on_that_roadmap(catalogue, roadmap):
    creator = creator_on("pro", platform="tiktok", niche="comedy")
    platform_enroll(user=creator, platform="youtube", now=NOW)
    TaskCompletion.objects.create(user=creator, task=roadmap[1], points=16, completed_at=NOW, local_date=NOW.date())

    platform_leave(user=creator, platform="youtube", now=NOW)

    assert TaskCompletion.objects.filter(user=creator).count() == 1


@pytest.mark.django_db
def test_the_main_platform_cannot_be_left_and_unknown_ones_are_refused(catalogue):
    creator = creator_on("pro", platform="youtube")

    with pytest.raises(MainPlatform) as main:
        platform_leave(user=creator, platform="youtube", now=NOW)
    with pytest.raises(NotFound):
        platform_leave(user=creator, platform="twitch", now=NOW)
    with pytest.raises(InvalidInput):
        platform_enroll(user=creator, platform="myspace", now=NOW)

    assert (main.value.status, main.value.code) == (409, "main_platform")
    assert followed(creator) == ["youtube"]


@pytest.mark.django_db
def test_enrolling_writes_the_counter_then_the_enrollment_and_a_failure_leaves_neither(catalogue):
    creator = creator_on("pro", platform="youtube")
    with count_writes() as writes:
        platform_enroll(user=creator, platform="tiktok", now=NOW)
    assert [table_of(sql) for sql in writes] == [
        "usage_usagecounter", "usage_usagecounter", "usage_usagecounter", "accounts_enrollment",
    ]  # UPDATE (no row yet), INSERT the lifetime row, UPDATE, INSERT

    for failing_write in (1, 2):
        with pytest.raises(InjectedFault), fail_after_write(failing_write):
            platform_enroll(user=creator, platform="twitch", now=NOW)  # UPDATE, INSERT

    assert followed(creator) == ["tiktok", "youtube"] and used_of(creator, Feature.PLATFORMS) == 2


@pytest.mark.django_db
def test_leaving_deletes_then_releases_and_a_failure_leaves_both(catalogue):
    creator = creator_on("pro", platform="youtube")
    platform_enroll(user=creator, platform="tiktok", now=NOW)

    for failing_write in (1, 2):
        with pytest.raises(InjectedFault), fail_after_write(failing_write):
            platform_leave(user=creator, platform="tiktok", now=NOW)

    assert followed(creator) == ["tiktok", "youtube"] and used_of(creator, Feature.PLATFORMS) == 2


# --- the API ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_follow_is_201_then_200_and_leave_is_204(catalogue):
    creator = creator_on("pro", platform="youtube")
    api = api_client_for(creator)

    first = api.post("/api/v1/enrollments", {"platform": "twitch"}, format="json")
    again = api.post("/api/v1/enrollments", {"platform": "twitch"}, format="json")
    left = api.delete("/api/v1/enrollments/twitch")

    assert (first.status_code, again.status_code, left.status_code) == (201, 200, 204)
    assert first.json() == again.json()
    assert set(first.json()) == {"platform", "started_on", "phase", "week"} and first.json()["phase"] == 1
    assert api.get("/api/v1/usage").json()["features"]["platforms"] == {"used": 1, "limit": 3, "resets_at": None}


@pytest.mark.django_db
def test_api_enrollment_errors_use_the_envelope(catalogue):
    creator = creator_on("free", platform="youtube")
    api = api_client_for(creator)

    limited = api.post("/api/v1/enrollments", {"platform": "tiktok"}, format="json")
    unknown = api.post("/api/v1/enrollments", {"platform": "myspace"}, format="json")
    missing = api.post("/api/v1/enrollments", {}, format="json")
    main = api.delete("/api/v1/enrollments/youtube")
    not_followed = api.delete("/api/v1/enrollments/tiktok")

    assert limited.status_code == 429
    assert {k: limited.json()["error"][k] for k in ("code", "limit", "used", "resets_at")} == {
        "code": "limit_reached", "limit": 1, "used": 1, "resets_at": None,
    }
    assert unknown.status_code == missing.status_code == 400 and "platform" in unknown.json()["error"]["fields"]
    assert main.status_code == 409 and main.json()["error"]["code"] == "main_platform"
    assert not_followed.status_code == 404 and not_followed.json()["error"]["code"] == "not_found"
    assert followed(creator) == ["youtube"]


@pytest.mark.django_db
def test_api_a_followed_platforms_roadmap_opens(catalogue, roadmap):
    creator = creator_on("pro", platform="tiktok", niche="comedy")
    api = api_client_for(creator)
    assert api.get("/api/v1/roadmap", {"platform": "youtube"}).status_code == 404

    api.post("/api/v1/enrollments", {"platform": "youtube"}, format="json")

    body = api.get("/api/v1/roadmap", {"platform": "youtube"}).json()
    assert (body["platform"], body["today"], len(body["days"])) == ("youtube", 1, 90)


@pytest.mark.django_db
def test_api_enrollments_need_authentication():
    assert APIClient().post("/api/v1/enrollments", {"platform": "tiktok"}, format="json").status_code == 401
