import json
import logging
import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from core.logs import JsonFormatter, RequestIdFilter, request_id_var
from core.metrics import REQUESTS
from core.testing.dberrors import as_django


def _scrape(client=None, **extra):
    return (client or Client()).get("/metrics", **extra)


@pytest.mark.django_db
def test_metrics_are_served_to_allowed_networks_and_token_holders_only(settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    local = _scrape()
    outside = _scrape(REMOTE_ADDR="203.0.113.9")
    with_token = _scrape(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    wrong_token = _scrape(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")

    assert local.status_code == with_token.status_code == 200
    assert outside.status_code == wrong_token.status_code == 403
    assert b"creatorcompass_transaction_seconds" in local.content


@pytest.mark.django_db
def test_requests_are_counted_by_route_and_carry_a_request_id():
    before = REQUESTS.labels("healthz", "GET", "200")._value.get()

    response = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"
    assert REQUESTS.labels("healthz", "GET", "200")._value.get() == before + 1
    assert len(Client().get("/healthz")["X-Request-ID"]) == 32


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["forged\nINFO admin logged in", "tab\there", "nul\x00", "", "x" * 65])
def test_a_hostile_or_oversized_request_id_never_reaches_the_logs_as_sent(sent):
    """A client-sent id goes into every log line. Planted defects: the control-character check
    dropped (the newline forges a log line: the first three fail), the 64-character cap dropped
    (the last fails)."""
    request_id = Client().get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]

    assert request_id.isprintable() and request_id != sent
    assert (request_id == "x" * 64) if len(sent) > 64 else (len(request_id) == 32)


@pytest.mark.django_db
def test_every_response_says_how_long_the_server_took():
    header = Client().get("/healthz")["Server-Timing"]
    name, duration = header.split(";dur=")
    assert name == "app" and 0 < float(duration) < 10_000


def test_json_log_lines_carry_the_request_id():
    record = logging.makeLogRecord({"name": "creatorcompass.test", "levelname": "WARNING", "msg": "slow %s", "args": ("thing",)})
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "slow thing" and line["request_id"] == "req-42" and line["level"] == "WARNING"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_a_clean_503_with_retry_after_and_writes_nothing(roadmap):
    import datetime

    from accounts.models import CreatorStats, Enrollment
    from accounts.tests.factories import CreatorFactory
    from core.testing.api import api_client_for
    from tasks.models import TaskCompletion

    creator = CreatorFactory()
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today())
    api = api_client_for(creator)
    locked, release = threading.Event(), threading.Event()

    def hold_the_stats_lock():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT 1 FROM accounts_creatorstats WHERE user_id = %s FOR UPDATE", [creator.pk])
                locked.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    holder = threading.Thread(target=hold_the_stats_lock)
    holder.start()
    assert locked.wait(10)
    try:
        if not settings.DB_TRANSACTION_POOLING:
            # Behind a transaction pool a session SET would reach some other client's server
            # connection; there the pool's own lock_timeout (5 s) applies.
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
        response = api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete")
    finally:
        release.set()
        holder.join()

    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "busy"
    assert not TaskCompletion.objects.exists() and CreatorStats.objects.get(user=creator).points == 0


@pytest.mark.django_db
def test_metrics_can_be_switched_off(settings):
    settings.METRICS_ENABLED = False
    before = REQUESTS.labels("healthz", "GET", "200")._value.get()
    Client().get("/healthz")
    assert REQUESTS.labels("healthz", "GET", "200")._value.get() == before


@pytest.mark.django_db
def test_pages_are_compressed_for_browsers_that_accept_gzip():
    import gzip

    response = Client().get("/signup/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert b"Start your roadmap" in gzip.decompress(response.content)


def _database_gone(error):
    """What Django raises when psycopg loses the server: an OperationalError caused by `error`."""

    def fail(**kwargs):
        raise as_django(error)

    return fail


@pytest.mark.django_db
@pytest.mark.parametrize("error", [
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.CannotConnectNow("the database system is shutting down"),
    psycopg.OperationalError("connection failed: Connection refused"),
    # PgBouncer's server connection cut at the instant PostgreSQL restarts: psycopg's own
    # InternalError (no SQLSTATE) for an exchange that no longer matches the protocol.
    psycopg.InternalError("received 2 results from command 'BEGIN'"),
])
def test_a_database_restart_answers_503_unavailable_not_500(monkeypatch, error):
    from accounts.tests.factories import CreatorFactory
    from core.testing.api import api_client_for

    api = api_client_for(CreatorFactory())
    monkeypatch.setattr("milestones.selectors.celebrations_pending", _database_gone(error))

    response = api.get("/api/v1/celebrations")

    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.django_db
def test_the_unavailable_page_does_not_touch_the_database_again(monkeypatch, client):
    from accounts.tests.factories import CreatorFactory

    client.force_login(CreatorFactory())
    monkeypatch.setattr("accounts.services.email_verify", _database_gone(psycopg.errors.AdminShutdown("gone")))

    response = client.get("/verify/some-token/")

    assert response.status_code == 503 and b"We could not reach our database" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("error", [
    psycopg.errors.DiskFull("disk full"),
    # The server's own internal_error / data_corrupted carry a SQLSTATE: a fault to look at, not a restart.
    psycopg.errors.InternalError_("internal error"),
    psycopg.errors.DataCorrupted("invalid page in block"),
])
def test_other_database_errors_stay_500(monkeypatch, error):
    from accounts.tests.factories import CreatorFactory
    from core.testing.api import api_client_for

    api = api_client_for(CreatorFactory())
    api.raise_request_exception = False
    monkeypatch.setattr("milestones.selectors.celebrations_pending", _database_gone(error))

    assert api.get("/api/v1/celebrations").status_code == 500
