import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from billing.tests.factories import EntitlementFactory
from core.testing.api import api_client_for
from tasks.models import TaskCompletion
from tasks.tests.factories import RoadmapTaskFactory


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=2))
    return user


@pytest.mark.django_db
def test_roadmap_lists_90_days_with_today_completed_and_locked_flags(creator, roadmap):
    TaskCompletion.objects.create(user=creator, task=roadmap[1], points=16, completed_at="2026-01-01T00:00Z", local_date="2026-01-01")

    body = api_client_for(creator).get("/api/v1/roadmap").json()

    assert (body["platform"], body["plan"], body["roadmap_days"], body["today"]) == ("youtube", "free", 30, 3)
    assert (body["completed"], body["total"], body["percent"]) == (1, 90, 1)
    days = body["days"]
    assert len(days) == 90 and days[2]["is_today"] and days[2]["date"] == str(datetime.date.today())
    first = days[0]["tasks"][0]
    assert {"id", "day", "title", "completed", "locked", "what", "why", "success", "minutes"} <= set(first)
    assert first["completed"] is True and days[1]["tasks"][0]["completed"] is False
    assert days[29]["locked"] is False and days[30]["locked"] is True and days[30]["tasks"][0]["locked"] is True


@pytest.mark.django_db
def test_roadmap_unlocks_day_31_on_a_paid_plan(creator):
    EntitlementFactory(user=creator, plan_id="pro")
    body = api_client_for(creator).get("/api/v1/roadmap").json()
    assert body["plan"] == "pro" and not any(day["locked"] for day in body["days"])


@pytest.mark.django_db
def test_roadmap_of_a_platform_not_followed_is_404(creator):
    response = api_client_for(creator).get("/api/v1/roadmap", {"platform": "tiktok"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_roadmap_of_something_that_is_no_platform_is_404(creator):
    response = api_client_for(creator).get("/api/v1/roadmap", {"platform": "myspace"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_roadmap_of_a_platform_with_a_nul_byte_is_400_naming_it(creator):
    # Found by schemathesis: a 500 on PostgreSQL, which refuses NUL in text.
    response = api_client_for(creator).get("/api/v1/roadmap", {"platform": "\u00b9\x00"})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["platform"]


@pytest.mark.django_db
def test_roadmap_query_count_is_the_same_for_1_or_90_completed_days(creator, roadmap):
    EntitlementFactory(user=creator, plan_id="pro")
    api = api_client_for(creator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/roadmap").status_code == 200
        return len(captured)

    TaskCompletion.objects.create(user=creator, task=roadmap[1], points=16, completed_at="2026-01-01T00:00Z", local_date="2026-01-01")
    queries()  # fills the process's copies of the catalogue (tasks, plans), as a warm worker has them
    with_1 = queries()
    TaskCompletion.objects.bulk_create(
        TaskCompletion(user=creator, task=roadmap[d], points=16, completed_at="2026-01-01T00:00Z", local_date="2026-01-01")
        for d in range(2, 91)
    )
    with_90 = queries()

    # token with user, profile and stats; catalogue version; enrollment; entitlement; completions
    # (the tasks and the plan come from the process's copy of the catalogue)
    assert with_1 == with_90 == 5


@pytest.mark.django_db
def test_complete_is_201_first_and_200_after_with_the_same_body_shape(creator, roadmap):
    api = api_client_for(creator)

    first = api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete", {"quality": 5, "notes": "Posted!"}, format="json")
    repeat = api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete", {"quality": 1}, format="json")

    assert (first.status_code, repeat.status_code) == (201, 200)
    one, two = first.json(), repeat.json()
    assert set(one) == set(two) == {"completion", "stats", "new_achievements", "pending_celebrations"}
    assert one["completion"] == two["completion"] and one["completion"]["points"] == 20
    assert one["stats"]["tasks_completed"] == two["stats"]["tasks_completed"] == 1
    assert [a["code"] for a in one["new_achievements"]] == ["tasks-1"] and two["new_achievements"] == []
    assert [c["title"] for c in two["pending_celebrations"]] == ["First step"]
    assert one["new_achievements"][0]["share_url"] is None


@pytest.mark.django_db
def test_complete_without_a_body_uses_quality_3(creator, roadmap):
    response = api_client_for(creator).post(f"/api/v1/tasks/{roadmap[1].pk}/complete")
    assert response.status_code == 201 and response.json()["completion"]["points"] == 16


@pytest.mark.django_db
def test_complete_day_31_on_the_free_plan_is_409_plan_required(creator, roadmap):
    response = api_client_for(creator).post(f"/api/v1/tasks/{roadmap[31].pk}/complete")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "plan_required" and error["plan"] == "free" and error["roadmap_days"] == 30
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("payload, field", [({"quality": 9}, "quality"), ({"quality": "great"}, "quality"), ({"notes": "x" * 2001}, "notes")])
def test_complete_with_bad_input_is_400(creator, roadmap, payload, field):
    response = api_client_for(creator).post(f"/api/v1/tasks/{roadmap[1].pk}/complete", payload, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
def test_complete_a_task_of_another_platform_or_unknown_is_404(creator, roadmap):
    other = RoadmapTaskFactory(platform="twitch", day=1)
    api = api_client_for(creator)
    assert api.post(f"/api/v1/tasks/{other.pk}/complete").status_code == 404
    assert api.post("/api/v1/tasks/999999/complete").status_code == 404


@pytest.mark.django_db
def test_complete_requires_authentication(roadmap):
    assert APIClient().post(f"/api/v1/tasks/{roadmap[1].pk}/complete").status_code == 401


@pytest.mark.django_db
def test_the_completion_body_is_what_the_documented_serializer_gives(creator, roadmap):
    from tasks.api import CompletionOutput, completion_body
    from tasks.services.completion import task_complete

    first = task_complete(user=creator, task_id=roadmap[1].pk, quality=5, notes="Posted!")  # unlocks tasks-1
    second = task_complete(user=creator, task_id=roadmap[2].pk)
    repeat = task_complete(user=creator, task_id=roadmap[1].pk)

    assert first.new_achievements and second.pending_celebrations
    for result in (first, second, repeat):
        assert completion_body(result, profile=creator.profile) == CompletionOutput(result).data


@pytest.mark.django_db
def test_completing_authenticates_without_the_stats_it_locks_and_me_still_has_them(creator, roadmap):
    api = api_client_for(creator)

    with CaptureQueriesContext(connection) as completing:
        assert api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete").status_code == 201
    with CaptureQueriesContext(connection) as me:
        body = api.get("/api/v1/me").json()

    assert "accounts_creatorprofile" in completing[0]["sql"] and "accounts_creatorstats" not in completing[0]["sql"]
    assert "accounts_creatorstats" in me[0]["sql"] and body["stats"]["tasks_completed"] == 1
