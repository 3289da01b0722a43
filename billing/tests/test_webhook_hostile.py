"""The webhook against hostile deliveries (issue 28): deeply nested JSON was a RecursionError (a
500 with a traceback); a rejected delivery stored the leftmost X-Forwarded-For as its IP,
`X-Forwarded-For: not-an-ip` was a 500, and rejected deliveries were recorded without limit."""

import logging

import pytest
from django.test import Client
from djstripe.models import WebhookEventTrigger


@pytest.fixture
def loud(caplog):
    caplog.set_level(logging.ERROR)
    return caplog


def _post(endpoint, body, **headers):
    return Client().post(f"/stripe/webhook/{endpoint.djstripe_uuid}/", body, content_type="application/json",
                         HTTP_STRIPE_SIGNATURE="t=1,v1=00", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[" * 3000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_deeply_nested_json_to_the_webhook_is_a_400_and_stores_nothing(webhook_endpoint, body, loud):
    response = _post(webhook_endpoint, body)

    assert response.status_code == 400 and b"nested deeper" in response.content
    assert not WebhookEventTrigger.objects.exists()
    assert not [r for r in loud.records if r.levelno >= logging.ERROR]


