import datetime

import pytest
from rest_framework.test import APIClient

from core.testing.api import api_client_for
from usage.models import Feature
from usage.services import usage_consume
from usage.tests.factories import creator_on


@pytest.mark.django_db
def test_usage_lists_every_feature_with_used_limit_and_reset(catalogue):
    creator = creator_on("free", timezone="Asia/Tokyo")
    usage_consume(user=creator, feature=Feature.IDEAS, n=2)
    usage_consume(user=creator, feature=Feature.EXPORTS)

    response = api_client_for(creator).get("/api/v1/usage")

    assert response.status_code == 200
    body = response.json()
    assert body["plan"] == "free" and set(body["features"]) == {"platforms", "exports", "ideas"}
    features = body["features"]
    assert features["platforms"] == {"used": 1, "limit": 1, "resets_at": None}
    assert (features["exports"]["used"], features["exports"]["limit"]) == (1, 3)
    assert (features["ideas"]["used"], features["ideas"]["limit"]) == (2, 5)
    # Ideas reset at the next midnight in Tokyo (15:00 UTC), exports on the 1st of next month there:
    # ISO 8601 instants with the creator's offset, so the local time reads as is.
    ideas_reset = datetime.datetime.fromisoformat(features["ideas"]["resets_at"])
    exports_reset = datetime.datetime.fromisoformat(features["exports"]["resets_at"])
    assert (ideas_reset.hour, ideas_reset.minute, ideas_reset.utcoffset()) == (0, 0, datetime.timedelta(hours=9))
    assert ideas_reset.astimezone(datetime.timezone.utc).hour == 15
    assert ideas_reset <= exports_reset and (exports_reset.day, exports_reset.hour) == (1, 0)


@pytest.mark.django_db
def test_unlimited_features_have_a_null_limit(catalogue):
    body = api_client_for(creator_on("studio")).get("/api/v1/usage").json()

    assert body["plan"] == "studio"
    assert {name: meter["limit"] for name, meter in body["features"].items()} == {
        "platforms": None, "exports": None, "ideas": None,
    }


@pytest.mark.django_db
def test_usage_needs_authentication():
    response = APIClient().get("/api/v1/usage")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_me_carries_the_plan_and_the_usage_meters(catalogue):
    from accounts.tests.factories import CreatorFactory
    from billing.tests.factories import EntitlementFactory
    from core.testing.api import api_client_for

    creator = CreatorFactory()
    EntitlementFactory(user=creator, plan_id="pro")

    body = api_client_for(creator).get("/api/v1/me").json()
    patched = api_client_for(creator).patch("/api/v1/me", {"display_name": "Renamed"}, format="json").json()

    assert body["plan"] == "pro" and body["profile"]["platform"] == "youtube"
    assert body["usage"]["platforms"] == {"used": 1, "limit": 3, "resets_at": None}
    assert body["usage"]["ideas"]["limit"] is None
    assert patched["profile"]["display_name"] == "Renamed" and patched["plan"] == "pro"
