"""Real threads racing on PostgreSQL through the API: metered actions hold their limits and
count exactly."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Enrollment
from core.testing.concurrency import race
from tasks.models import ContentIdea
from tasks.services import ideas
from usage.models import Feature
from usage.tests.factories import creator_on, used_of


def api_for(user):
    token = Token.objects.get_or_create(user=user)[0].key

    def call(method, path, payload=None):
        response = getattr(APIClient(), method)(path, payload, format="json", HTTP_AUTHORIZATION=f"Token {token}")
        return response.status_code

    return call


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_10_concurrent_saves_with_2_ideas_left_save_exactly_2(roadmap):
    creator = creator_on("free", platform="youtube")
    for i in range(3):
        ideas.idea_create(user=creator, title=f"Earlier {i}")
    call = api_for(creator)

    statuses = race(10, lambda i: call("post", "/api/v1/ideas", {"title": f"Racing {i}"}))

    assert sorted(statuses) == [201] * 2 + [429] * 8
    assert ContentIdea.objects.filter(user=creator, title__startswith="Racing").count() == 2
    assert used_of(creator, Feature.IDEAS) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_exports_on_an_unlimited_plan_count_exactly_20(roadmap):
    creator = creator_on("pro", platform="youtube")
    call = api_for(creator)

    statuses = race(20, lambda i: call("post", "/api/v1/exports", {"format": "ics" if i % 2 else "csv"}))

    assert statuses == [200] * 20
    assert used_of(creator, Feature.EXPORTS) == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_concurrent_follows_of_two_platforms_create_each_once_and_count_each_once(roadmap):
    creator = creator_on("pro", platform="youtube")
    call = api_for(creator)

    statuses = race(8, lambda i: call("post", "/api/v1/enrollments", {"platform": "tiktok" if i % 2 else "twitch"}))

    assert sorted(statuses) == [200] * 6 + [201] * 2
    assert Enrollment.objects.filter(user=creator).count() == 3
    assert used_of(creator, Feature.PLATFORMS) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_concurrent_leaves_free_the_slot_once(roadmap):
    creator = creator_on("pro", platform="youtube")
    call = api_for(creator)
    assert call("post", "/api/v1/enrollments", {"platform": "twitch"}) == 201

    statuses = race(8, lambda i: call("delete", "/api/v1/enrollments/twitch"))

    assert sorted(statuses) == [204] + [404] * 7
    assert used_of(creator, Feature.PLATFORMS) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_free_creators_racing_to_follow_a_second_platform_are_all_refused(roadmap):
    creator = creator_on("free", platform="youtube")
    call = api_for(creator)

    statuses = race(6, lambda i: call("post", "/api/v1/enrollments", {"platform": ["tiktok", "twitch"][i % 2]}))

    assert statuses == [429] * 6
    assert Enrollment.objects.filter(user=creator).count() == 1 and used_of(creator, Feature.PLATFORMS) in (None, 1)
