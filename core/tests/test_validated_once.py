"""Each input rule is checked in one place, the service (issue 16): the API's Input serializers
only shape input, the service refuses a bad value naming the field (the same 400 envelope), and
the OpenAPI schema documents the rule with the service's own constant."""

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.api import MeApi, SignupApi
from accounts.catalog import Platform
from accounts.tests.factories import CreatorFactory
from billing.api import CheckoutApi
from billing.services import checkout
from core.testing.api import api_client_for
from tasks.api import EnrollmentsApi, ExportsApi, IdeaApi, IdeasApi, TaskCompleteApi
from tasks.services import completion, exports, ideas

# (Input serializer, field, a value the rule refuses, the schema's statement of the rule)
RULES = [
    (TaskCompleteApi.CompleteInput, "quality", 6, {"minimum": completion.QUALITY_MIN, "maximum": completion.QUALITY_MAX}),
    (TaskCompleteApi.CompleteInput, "notes", "n" * (completion.NOTES_MAX + 1), {"maxLength": completion.NOTES_MAX}),
    (IdeasApi.IdeaCreateInput, "title", "t" * (ideas.TITLE_MAX + 1), {"maxLength": ideas.TITLE_MAX}),
    (IdeasApi.IdeaCreateInput, "notes", "n" * (ideas.NOTES_MAX + 1), {"maxLength": ideas.NOTES_MAX}),
    (IdeaApi.IdeaPatchInput, "title", "t" * (ideas.TITLE_MAX + 1), {"maxLength": ideas.TITLE_MAX}),
    (ExportsApi.ExportInput, "format", "pdf", {"enum": list(exports.FORMATS)}),
    (EnrollmentsApi.EnrollInput, "platform", "myspace", {"enum": Platform.values}),
    (CheckoutApi.CheckoutInput, "plan", "free", {"enum": list(checkout.PAID_PLANS)}),
    (CheckoutApi.CheckoutInput, "interval", "week", {"enum": list(checkout.INTERVALS)}),
    (SignupApi.SignupInput, "platform", "myspace", {"enum": Platform.values}),
    (SignupApi.SignupInput, "display_name", "d" * (account_services.DISPLAY_NAME_MAX + 1),
     {"maxLength": account_services.DISPLAY_NAME_MAX}),
    (MeApi.MePatchInput, "display_name", "d" * (account_services.DISPLAY_NAME_MAX + 1),
     {"maxLength": account_services.DISPLAY_NAME_MAX}),
]


def _resolved(schema, prop):
    """A property with drf-spectacular's enum components ($ref, or allOf beside a default) inlined."""
    ref = prop.get("$ref") or next((part["$ref"] for part in prop.get("allOf", ()) if "$ref" in part), None)
    return {**prop, **schema[ref.rpartition("/")[2]]} if ref else prop


@pytest.mark.parametrize(("serializer", "field", "bad", "_"), RULES, ids=lambda v: getattr(v, "__name__", None))
def test_the_serializer_passes_the_bad_value_on_to_the_service(serializer, field, bad, _):
    # What a serializer refuses never reaches the service: it would be a second copy of the rule.
    shaped = serializer(data={"email": "a@example.com", "password": "pw", "platform": "youtube", "title": "T",
                              "format": "csv", "plan": "pro", field: bad}, partial=True)
    assert shaped.is_valid(), shaped.errors
    assert shaped.validated_data[field] == bad


@pytest.mark.django_db
def test_the_schema_documents_each_rule_with_the_service_constant():
    schema = APIClient().get("/api/v1/schema?format=json").json()["components"]["schemas"]
    documented = {}
    for serializer, field, _, rule in RULES:
        names = [serializer.__name__, f"Patched{serializer.__name__}"]
        properties = next(schema[name]["properties"] for name in names if name in schema)
        documented[(serializer.__name__, field)] = {key: _resolved(schema, properties[field]).get(key) for key in rule}
    assert documented == {(serializer.__name__, field): rule for serializer, field, _, rule in RULES}


@pytest.mark.django_db
def test_the_api_refuses_each_bad_value_naming_the_field(roadmap):
    creator = CreatorFactory(platform="youtube")
    api = api_client_for(creator)
    idea = ideas.idea_create(user=creator, title="An idea")
    calls = [
        ("post", f"/api/v1/tasks/{roadmap[1].pk}/complete", {"quality": 6}, "quality"),
        ("post", f"/api/v1/tasks/{roadmap[1].pk}/complete", {"notes": "n" * (completion.NOTES_MAX + 1)}, "notes"),
        ("post", "/api/v1/ideas", {"title": "t" * (ideas.TITLE_MAX + 1)}, "title"),
        ("post", "/api/v1/ideas", {"title": "T", "notes": "n" * (ideas.NOTES_MAX + 1)}, "notes"),
        ("patch", f"/api/v1/ideas/{idea.pk}", {"title": "t" * (ideas.TITLE_MAX + 1)}, "title"),
        ("post", "/api/v1/exports", {"format": "pdf"}, "format"),
        ("post", "/api/v1/enrollments", {"platform": "myspace"}, "platform"),
        ("post", "/api/v1/billing/checkout", {"plan": "free"}, "plan"),
        ("post", "/api/v1/billing/checkout", {"plan": "pro", "interval": "week"}, "interval"),
        ("patch", "/api/v1/me", {"display_name": "d" * (account_services.DISPLAY_NAME_MAX + 1)}, "display_name"),
    ]
    answers = {}
    for method, path, body, field in calls:
        response = getattr(api, method)(path, body, format="json")
        answers[(path, field)] = (response.status_code, list(response.json()["error"]["fields"]))
    signup = APIClient().post("/api/v1/auth/signup", {"email": "new@example.com", "password": "a long passphrase 1",
                                                      "platform": "myspace"}, format="json")
    answers[("signup", "platform")] = (signup.status_code, list(signup.json()["error"]["fields"]))

    assert answers == {key: (400, [key[1]]) for key in answers}
    assert creator.content_ideas.count() == 1 and not creator.completions.exists()
