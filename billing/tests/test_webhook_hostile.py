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




@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.66", "127.0.0.1"),  # no proxy: the header is the sender's claim
    (1, "203.0.113.66, 198.51.100.7", "198.51.100.7"),  # our proxy's entry, not the leftmost
    (1, "not-an-ip", "127.0.0.1"),  # was a 500 on PostgreSQL (inet)
    (0, "not-an-ip", "127.0.0.1"),
])
def test_a_rejected_delivery_records_our_client_ip(webhook_endpoint, settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies

    response = _post(webhook_endpoint, '{"id": "evt_1", "type": "customer.created", "created": 1, "livemode": false,'
                     ' "data": {"object": {"object": "customer", "id": "cus_1"}}}',
                     REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert response.status_code == 400 and WebhookEventTrigger.objects.get().remote_ip == expected


def test_dj_stripe_records_every_delivery_with_our_client_ip():
    from djstripe.models import webhooks

    from billing.webhook_intake import delivery_ip

    assert webhooks.get_remote_ip is delivery_ip


@pytest.mark.django_db
def test_rejected_deliveries_are_recorded_at_most_the_rate_per_ip(webhook_endpoint, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "webhook_rejected": "3/hour"}
    body = ('{"id": "evt_1", "type": "customer.created", "created": 1, "livemode": false,'
            ' "data": {"object": {"object": "customer", "id": "cus_1"}}}')

    answers = [_post(webhook_endpoint, body, REMOTE_ADDR="203.0.113.9").status_code for _ in range(10)]
    other = _post(webhook_endpoint, body, REMOTE_ADDR="203.0.113.10")

    assert answers == [400] * 10 and other.status_code == 400
    assert WebhookEventTrigger.objects.filter(remote_ip="203.0.113.9").count() == 3
    assert WebhookEventTrigger.objects.filter(remote_ip="203.0.113.10").count() == 1
