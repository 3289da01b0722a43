"""Hostile input against our OpenAPI schema (schemathesis, bounded for CI): authenticated
requests generated from the schema for every operation; no 500, and every documented response
matches its schema."""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def wsgi_app(db):
    # Like Django's test client: the WSGI app must not close the connection the test runs in.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_api_never_answers_500_and_keeps_its_schema(wsgi_app, roadmap, emulator):
    creator = CreatorFactory(email="fuzz@example.com")
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today())
    # identity: schemathesis's WSGI client does not unpack the gzip that browsers get.
    headers = {"Authorization": f"Token {Token.objects.create(user=creator).key}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    calls = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])
            calls.append(operation.label)

        fuzz()

    assert len(set(calls)) == len(operations) and len(calls) >= 5 * len(operations)


@pytest.mark.django_db
def test_an_id_too_large_for_the_database_is_a_404_not_a_500(catalogue):
    from core.testing.api import api_client_for

    api = api_client_for(CreatorFactory())
    for path in ("/api/v1/milestones/32887049398336761856/share", "/api/v1/ideas/99999999999999999999",
                 "/api/v1/tasks/123456789012345678901/complete"):
        assert api.post(path).status_code == 404
