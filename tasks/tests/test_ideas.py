import datetime

import pytest
from django.db import IntegrityError
from rest_framework.test import APIClient

from core.errors import InvalidInput, LimitReached, NotFound
from core.faults import InjectedFault, count_writes, fail_after_write, table_of
from core.testing.api import api_client_for
from tasks.models import ContentIdea
from tasks.services import ideas
from tasks.tests.factories import RoadmapTaskFactory
from usage.models import Feature, UsageCounter
from usage.tests.factories import creator_on, used_of

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.fixture
def creator(roadmap):
    return creator_on("free", platform="youtube", timezone="UTC")


def save(creator, n, now=NOW):
    return [ideas.idea_create(user=creator, title=f"Idea {i}", now=now) for i in range(n)]


# --- the service ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_saving_an_idea_counts_one_and_may_attach_a_task(creator, roadmap):
    idea = ideas.idea_create(user=creator, title="  Thumbnail A/B test  ", notes="Two styles", task_id=roadmap[3].pk, now=NOW)

    assert (idea.title, idea.notes, idea.task_id, idea.created_at) == ("Thumbnail A/B test", "Two styles", roadmap[3].pk, NOW)
    assert used_of(creator, Feature.IDEAS) == 1


@pytest.mark.django_db
def test_the_6th_idea_of_a_free_day_is_refused_and_not_saved(creator):
    save(creator, 5)

    with pytest.raises(LimitReached) as refused:
        ideas.idea_create(user=creator, title="One too many", now=NOW)

    assert (refused.value.extra["limit"], refused.value.extra["used"]) == (5, 5)
    assert ContentIdea.objects.filter(user=creator).count() == 5 and used_of(creator, Feature.IDEAS) == 5
    assert ideas.idea_create(user=creator, title="Tomorrow", now=NOW + datetime.timedelta(hours=12)).pk


@pytest.mark.django_db
def test_deleting_an_idea_does_not_give_the_days_idea_back(creator):
    first, *_ = save(creator, 5)
    ideas.idea_delete(user=creator, idea_id=first.pk)

    with pytest.raises(LimitReached):
        ideas.idea_create(user=creator, title="Again", now=NOW)
    assert ContentIdea.objects.filter(user=creator).count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [({"title": "  "}, "title"), ({"title": "x" * 121}, "title"), ({"title": "ok", "notes": "x" * 2001}, "notes"),
     ({"title": "ok", "task_id": "3"}, "task")],
)
def test_bad_input_is_refused_before_anything_is_counted(creator, fields, field):
    with pytest.raises(InvalidInput) as refused:
        ideas.idea_create(user=creator, now=NOW, **fields)
    assert field in refused.value.fields
    assert not UsageCounter.objects.exists() and not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_a_task_of_a_platform_not_followed_cannot_be_attached(creator):
    tiktok = RoadmapTaskFactory(platform="tiktok", day=1)
    with pytest.raises(InvalidInput) as refused:
        ideas.idea_create(user=creator, title="Dance", task_id=tiktok.pk, now=NOW)
    assert "task" in refused.value.fields and not UsageCounter.objects.exists()


@pytest.mark.django_db
def test_saving_writes_the_counter_then_the_idea(creator):
    save(creator, 1)
    with count_writes() as writes:
        save(creator, 1)
    assert [table_of(sql) for sql in writes] == ["usage_usagecounter", "tasks_contentidea"]


@pytest.mark.django_db
@pytest.mark.parametrize("failing_write", [1, 2])
def test_a_failure_after_the_consume_leaves_the_counter_unchanged(creator, failing_write):
    save(creator, 3)

    with pytest.raises(InjectedFault), fail_after_write(failing_write):
        ideas.idea_create(user=creator, title="Lost", now=NOW)

    assert used_of(creator, Feature.IDEAS) == 3 and ContentIdea.objects.count() == 3


@pytest.mark.django_db
def test_a_failing_idea_insert_leaves_the_counter_unchanged(creator, monkeypatch):
    save(creator, 3)

    def broken_create(**fields):
        raise IntegrityError("insert failed")

    monkeypatch.setattr(ContentIdea.objects, "create", broken_create)
    with pytest.raises(IntegrityError):
        ideas.idea_create(user=creator, title="Lost", now=NOW)

    assert used_of(creator, Feature.IDEAS) == 3


@pytest.mark.django_db
def test_the_first_idea_of_a_day_fails_cleanly_too(creator):
    with pytest.raises(InjectedFault), fail_after_write(3):  # UPDATE (no row), INSERT counter, UPDATE: fail
        ideas.idea_create(user=creator, title="Lost", now=NOW)
    assert not UsageCounter.objects.exists() and not ContentIdea.objects.exists()


@pytest.mark.django_db
def test_edit_changes_only_what_is_given_and_can_detach_the_task(creator, roadmap):
    idea = ideas.idea_create(user=creator, title="Draft", notes="Keep me", task_id=roadmap[2].pk, now=NOW)

    edited = ideas.idea_update(user=creator, idea_id=idea.pk, title="Final", now=NOW + datetime.timedelta(hours=1))
    detached = ideas.idea_update(user=creator, idea_id=idea.pk, task_id=None)

    assert (edited.title, edited.notes, edited.task_id) == ("Final", "Keep me", roadmap[2].pk)
    assert edited.updated_at == NOW + datetime.timedelta(hours=1) and detached.task_id is None
    assert used_of(creator, Feature.IDEAS) == 1  # edits are not metered


@pytest.mark.django_db
def test_another_creators_idea_is_not_found_and_stays_as_it_was(creator, roadmap):
    idea = ideas.idea_create(user=creator, title="Mine", now=NOW)
    other = creator_on("free", platform="youtube")

    with pytest.raises(NotFound):
        ideas.idea_update(user=other, idea_id=idea.pk, title="Yours now")
    with pytest.raises(NotFound):
        ideas.idea_delete(user=other, idea_id=idea.pk)

    assert ContentIdea.objects.get(pk=idea.pk).title == "Mine"


# --- the API ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_create_list_edit_delete(creator, roadmap):
    api = api_client_for(creator)

    created = api.post("/api/v1/ideas", {"title": "Behind the scenes", "task": roadmap[4].pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("title", "notes", "task", "task_title", "task_day")} == {
        "title": "Behind the scenes", "notes": "", "task": roadmap[4].pk, "task_title": roadmap[4].title, "task_day": 4,
    }
    api.post("/api/v1/ideas", {"title": "Q&A stream"}, format="json")

    listed = api.get("/api/v1/ideas").json()
    assert [i["title"] for i in listed] == ["Q&A stream", "Behind the scenes"] and listed[0]["task"] is None

    patched = api.patch(f"/api/v1/ideas/{body['id']}", {"notes": "Film Friday", "task": None}, format="json")
    assert patched.status_code == 200 and (patched.json()["notes"], patched.json()["task"]) == ("Film Friday", None)
    assert patched.json()["title"] == "Behind the scenes"

    assert api.delete(f"/api/v1/ideas/{body['id']}").status_code == 204
    assert [i["title"] for i in api.get("/api/v1/ideas").json()] == ["Q&A stream"]


@pytest.mark.django_db
def test_api_the_limit_is_a_429_with_limit_used_and_reset(creator):
    api = api_client_for(creator)
    for i in range(5):
        assert api.post("/api/v1/ideas", {"title": f"Idea {i}"}, format="json").status_code == 201

    response = api.post("/api/v1/ideas", {"title": "Sixth"}, format="json")

    assert response.status_code == 429
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["used"], error["feature"]) == ("limit_reached", 5, 5, "ideas")
    resets_at = datetime.datetime.fromisoformat(error["resets_at"])
    assert (resets_at.hour, resets_at.minute, resets_at.utcoffset()) == (0, 0, datetime.timedelta(0))
    assert "ideas today" in error["message"]
    assert ContentIdea.objects.count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [({}, "title"), ({"title": ""}, "title"), ({"title": "x" * 121}, "title"), ({"title": "ok", "task": "abc"}, "task"),
     ({"title": "ok", "task": 999999}, "task")],
)
def test_api_bad_input_is_400_naming_the_field(creator, payload, field):
    response = api_client_for(creator).post("/api/v1/ideas", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not UsageCounter.objects.exists()


@pytest.mark.django_db
def test_api_another_creators_idea_is_404(creator):
    idea = ideas.idea_create(user=creator, title="Mine", now=NOW)
    intruder = api_client_for(creator_on("free", platform="youtube"))

    patch = intruder.patch(f"/api/v1/ideas/{idea.pk}", {"title": "Hacked"}, format="json")
    delete = intruder.delete(f"/api/v1/ideas/{idea.pk}")

    assert (patch.status_code, delete.status_code) == (404, 404)
    assert patch.json()["error"]["code"] == "not_found"
    assert intruder.get("/api/v1/ideas").json() == []
    assert ContentIdea.objects.get(pk=idea.pk).title == "Mine"


@pytest.mark.django_db
def test_api_ideas_need_authentication():
    assert APIClient().get("/api/v1/ideas").status_code == 401
    assert APIClient().post("/api/v1/ideas", {"title": "x"}, format="json").status_code == 401
