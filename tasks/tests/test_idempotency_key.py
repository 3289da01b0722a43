"""Idempotency-Key on the metered API (core.idempotency): a retried POST spends its quota once."""

import datetime
import threading

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import IdempotencyKey
from core.testing.api import api_client_for
from core.testing.concurrency import race
from tasks.models import ContentIdea
from tasks.services import ideas
from usage.models import Feature
from usage.tests.factories import creator_on, used_of


def _post(client, path, payload, key):
    return client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_repeated_idea_post_with_one_key_saves_one_idea_and_counts_one(roadmap):
    # given a free creator (5 ideas a day)
    creator = creator_on("free", platform="youtube")
    client = api_client_for(creator)

    # when the client retries the same request with the same key
    first = _post(client, "/api/v1/ideas", {"title": "Shorts series"}, "retry-1")
    second = _post(client, "/api/v1/ideas", {"title": "Shorts series"}, "retry-1")

    # then the second gets the first answer, replayed, and nothing ran twice
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert ContentIdea.objects.filter(user=creator).count() == 1
    assert used_of(creator, Feature.IDEAS) == 1


@pytest.mark.django_db
def test_a_repeated_export_with_one_key_returns_the_same_file_and_counts_one(roadmap):
    # given a free creator (3 exports a month)
    creator = creator_on("free", platform="youtube")
    client = api_client_for(creator)

    first = _post(client, "/api/v1/exports", {"format": "csv"}, "export-1")
    second = _post(client, "/api/v1/exports", {"format": "csv"}, "export-1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content and second["Content-Disposition"] == first["Content-Disposition"]
    assert second["Content-Type"] == first["Content-Type"]
    assert used_of(creator, Feature.EXPORTS) == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_422_and_changes_nothing(roadmap):
    creator = creator_on("free", platform="youtube")
    client = api_client_for(creator)
    _post(client, "/api/v1/ideas", {"title": "First"}, "k")

    refused = _post(client, "/api/v1/ideas", {"title": "Second"}, "k")
    on_another_path = _post(client, "/api/v1/exports", {"format": "csv"}, "k")

    assert refused.status_code == 422 and refused.json()["error"]["code"] == "idempotency_key_reused"
    assert on_another_path.status_code == 422
    assert list(ContentIdea.objects.filter(user=creator).values_list("title", flat=True)) == ["First"]
    assert used_of(creator, Feature.IDEAS) == 1 and used_of(creator, Feature.EXPORTS) is None


@pytest.mark.django_db
def test_a_repeat_while_the_first_request_runs_is_409_and_one_that_took_effect_is_never_run_again(roadmap):
    creator = creator_on("free", platform="youtube")
    client = api_client_for(creator)
    body = {"title": "Running"}
    # given the first request's claim, its service not finished (no answer stored yet)
    running = _post(client, "/api/v1/ideas", body, "busy")
    IdempotencyKey.objects.filter(key="busy").update(status=None, applied_at=None, body=b"")

    in_use = _post(client, "/api/v1/ideas", body, "busy")

    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "idempotency_key_in_use"
    assert in_use["Retry-After"] == "1"
    # and once its effect committed but the answer was lost (a crash between the two)
    IdempotencyKey.objects.filter(key="busy").update(applied_at=timezone.now())
    lost = _post(client, "/api/v1/ideas", body, "busy")
    assert lost.status_code == 409 and lost.json()["error"]["code"] == "idempotency_answer_lost"
    assert running.status_code == 201 and ContentIdea.objects.filter(user=creator).count() == 1


@pytest.mark.django_db
def test_the_key_is_marked_applied_in_the_services_transaction_and_a_refusal_is_stored_too(roadmap):
    creator = creator_on("free", platform="youtube")
    for i in range(5):
        ideas.idea_create(user=creator, title=f"Earlier {i}")
    client = api_client_for(creator)
    ok_creator = creator_on("free", platform="youtube")
    _post(api_client_for(ok_creator), "/api/v1/ideas", {"title": "Fits"}, "a")

    refused = _post(client, "/api/v1/ideas", {"title": "Over the limit"}, "b")
    again = _post(client, "/api/v1/ideas", {"title": "Over the limit"}, "b")

    # the committed service marked its key; the refused one (rolled back) did not, but its answer is kept
    applied = dict(IdempotencyKey.objects.values_list("key", "applied_at"))
    assert applied["a"] is not None and applied["b"] is None
    assert refused.status_code == again.status_code == 429 and again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_an_answer_given_before_any_service_ran_is_not_stored(roadmap):
    # given bad input (refused before the service), then the corrected request under the same key
    creator = creator_on("free", platform="youtube")
    client = api_client_for(creator)

    bad = _post(client, "/api/v1/ideas", {}, "fix-me")
    assert bad.status_code == 400 and not IdempotencyKey.objects.exists()
    good = _post(client, "/api/v1/ideas", {"title": "Fixed"}, "fix-me")

    assert good.status_code == 201 and ContentIdea.objects.filter(user=creator).count() == 1


@pytest.mark.django_db
def test_keys_are_per_creator_expire_after_24_hours_and_must_be_printable(roadmap):
    alice, bob = creator_on("free", platform="youtube"), creator_on("free", platform="youtube")
    _post(api_client_for(alice), "/api/v1/ideas", {"title": "Same"}, "shared")
    assert _post(api_client_for(bob), "/api/v1/ideas", {"title": "Same"}, "shared").status_code == 201

    IdempotencyKey.objects.filter(user=alice).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    again = _post(api_client_for(alice), "/api/v1/ideas", {"title": "Same"}, "shared")
    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert ContentIdea.objects.filter(user=alice).count() == 2

    too_long = _post(api_client_for(alice), "/api/v1/ideas", {"title": "x"}, "k" * 256)
    assert too_long.status_code == 400 and ContentIdea.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
def test_an_anonymous_request_with_a_key_is_answered_by_the_view(roadmap):
    response = APIClient().post("/api/v1/ideas", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="anon")

    assert response.status_code == 401 and not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_every_mutating_operation_documents_the_header():
    client = APIClient()
    schema = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    mutating = {(path, method): operation for path, item in schema["paths"].items()
                for method, operation in item.items() if method in ("post", "put", "patch", "delete")}
    documented = {where for where, operation in mutating.items()
                  if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))}
    assert len(mutating) >= 10 and documented == set(mutating)
    assert ("/api/v1/ideas", "post") in documented and ("/api/v1/exports", "post") in documented
    reads = [op for item in schema["paths"].values() for method, op in item.items() if method == "get"]
    assert not any(p["name"] == "Idempotency-Key" for op in reads for p in op.get("parameters", []))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_8_threads_sending_one_key_save_one_idea_and_count_one(roadmap):
    creator = creator_on("free", platform="youtube")
    authorization = f"Token {Token.objects.get_or_create(user=creator)[0].key}"
    lock = threading.Lock()
    answers = []

    def send(i):
        response = APIClient().post("/api/v1/ideas", {"title": "Once"}, format="json",
                                    HTTP_AUTHORIZATION=authorization, HTTP_IDEMPOTENCY_KEY="one-key")
        with lock:
            answers.append((response.status_code, response.json()))
        return response.status_code

    statuses = race(8, send)

    # one ran; every other got its answer replayed or was told it is still running
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1
    assert ContentIdea.objects.filter(user=creator).count() == 1
    assert used_of(creator, Feature.IDEAS) == 1
    assert IdempotencyKey.objects.filter(user=creator).count() == 1
