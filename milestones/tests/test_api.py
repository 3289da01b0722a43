import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.api import api_client_for
from milestones.models import Celebration, Milestone
from tasks.services.completion import task_complete


@pytest.fixture
def achiever(roadmap):
    user = CreatorFactory(platform="youtube", display_name="Ada Streams", email="ada@example.com")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    task_complete(user=user, task_id=roadmap[1].pk)
    return user


@pytest.fixture
def first_step():
    return Milestone.objects.get(code="tasks-1")


@pytest.mark.django_db
def test_milestones_list_the_catalogue_with_what_the_creator_achieved(achiever, first_step):
    body = api_client_for(achiever).get("/api/v1/milestones").json()

    assert len(body) == Milestone.objects.count() == 18
    achieved = [m for m in body if m["achieved_at"]]
    assert [m["code"] for m in achieved] == ["tasks-1"]
    assert {"id", "code", "title", "achieved_at", "share_url"} <= set(achieved[0]) and achieved[0]["share_url"] is None


@pytest.mark.django_db
def test_share_returns_the_same_url_every_time_and_the_page_is_public(achiever, first_step):
    api = api_client_for(achiever)

    urls = {api.post(f"/api/v1/milestones/{first_step.pk}/share").json()["share_url"] for _ in range(3)}

    assert len(urls) == 1
    url = urls.pop()
    assert url.startswith("http://testserver/m/") and len(url.rsplit("/", 1)[1]) >= 32
    page = APIClient().get(url.replace("http://testserver", ""))
    html = page.content.decode()
    assert page.status_code == 200 and "Ada Streams" in html and "First step" in html
    assert "ada@example.com" not in html
    assert 'property="og:title"' in html and "twitter.com/intent/tweet" in html and "facebook.com/sharer" in html and "linkedin.com/sharing" in html
    assert api.get("/api/v1/milestones").json()[0]["share_url"] in (url, None)


@pytest.mark.django_db
def test_unshare_kills_the_link(achiever, first_step):
    api = api_client_for(achiever)
    url = api.post(f"/api/v1/milestones/{first_step.pk}/share").json()["share_url"]

    response = api.delete(f"/api/v1/milestones/{first_step.pk}/share")

    assert response.status_code == 200 and response.json() == {"share_url": None}
    assert APIClient().get(url.replace("http://testserver", "")).status_code == 404


@pytest.mark.django_db
def test_sharing_a_milestone_not_achieved_or_of_another_creator_is_404(achiever, first_step, roadmap):
    other = CreatorFactory(platform="youtube")
    assert api_client_for(other).post(f"/api/v1/milestones/{first_step.pk}/share").status_code == 404
    assert api_client_for(achiever).post(f"/api/v1/milestones/{Milestone.objects.get(code='tasks-100').pk}/share").status_code == 404


@pytest.mark.django_db
def test_celebrations_are_pending_until_seen_and_seen_is_idempotent(achiever):
    api = api_client_for(achiever)
    [pending] = api.get("/api/v1/celebrations").json()
    assert {"id", "title", "message"} <= set(pending) and pending["title"] == "First step"

    first = api.post(f"/api/v1/celebrations/{pending['id']}/seen")
    again = api.post(f"/api/v1/celebrations/{pending['id']}/seen")

    assert first.status_code == again.status_code == 200
    assert api.get("/api/v1/celebrations").json() == []
    assert Celebration.objects.get(pk=pending["id"]).seen_at is not None


@pytest.mark.django_db
def test_another_creators_celebration_is_404_and_stays_pending(achiever, roadmap):
    celebration = Celebration.objects.get(user=achiever)
    other = CreatorFactory(platform="youtube")

    response = api_client_for(other).post(f"/api/v1/celebrations/{celebration.pk}/seen")

    assert response.status_code == 404
    assert Celebration.objects.get(pk=celebration.pk).seen_at is None
