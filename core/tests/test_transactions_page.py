"""The admin's Transactions page and the rollup behind it (the source without Prometheus)."""

import datetime
import logging

import psycopg
import pytest
from django.test import Client

from accounts.models import Enrollment, User
from accounts.tests.factories import CreatorFactory
from core import ops_figures, rollup
from core.errors import LimitReached
from core.logs import RequestIdFilter
from core.models import TransactionMinute
from core.testing.api import api_client_for
from core.testing.dberrors import as_django
from core.transactions import rollback_cause


@pytest.fixture
def fresh_rollup(db):
    TransactionMinute.objects.all().delete()
    rollup.reset()
    yield
    rollup.reset()


def _staff_client():
    client = Client()
    client.force_login(User.objects.create_superuser("ops-tx@example.com", "x-long-password"))
    return client


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_calls_percentiles_rollbacks_by_cause_and_the_slowest_request_id(roadmap, fresh_rollup):
    creator = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today() - datetime.timedelta(days=2))
    api = api_client_for(creator)

    done = api.post(f"/api/v1/tasks/{roadmap[1].pk}/complete", HTTP_X_REQUEST_ID="req-complete-1")
    refused = api.post(f"/api/v1/tasks/{roadmap[31].pk}/complete", HTTP_X_REQUEST_ID="req-refused-2")
    page = _staff_client().get("/admin/transactions/")

    assert done.status_code == 201 and refused.status_code == 409
    row = TransactionMinute.objects.get(service="tasks.task_complete")
    assert (row.calls, row.commits, row.refusals, row.errors) == (2, 1, 1, 0)
    assert sum(row.buckets) == 2 and row.slowest_request_id in {"req-complete-1", "req-refused-2"}
    html = page.content.decode()
    assert page.status_code == 200 and "the app's own rollup" in html
    assert '<th scope="row">tasks.task_complete</th><td class="num">2</td>' in html
    assert row.slowest_request_id in html
    assert html.count('role="img"') >= 2 and "<title id=" in html


@pytest.mark.django_db
def test_the_page_is_for_staff_only(client):
    creator = CreatorFactory()
    client.force_login(creator)

    response = client.get("/admin/transactions/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_rollbacks_are_classified_by_cause():
    assert rollback_cause(LimitReached()) == "refusal"
    assert rollback_cause(as_django(psycopg.errors.DeadlockDetected("deadlock"))) == "conflict"
    assert rollback_cause(as_django(psycopg.errors.LockNotAvailable("lock timeout"))) == "timeout"
    assert rollback_cause(as_django(psycopg.errors.QueryCanceled("statement timeout"))) == "timeout"
    assert rollback_cause(ValueError("bug")) == "error"


def test_percentiles_are_estimated_like_histogram_quantile():
    # 10 transactions: 5 in (0, 1 ms], 4 in (5, 10 ms], 1 in (100, 250 ms].
    buckets = [0] * (len(rollup.BUCKET_BOUNDS_MS) + 1)
    buckets[0], buckets[3], buckets[7] = 5, 4, 1

    assert ops_figures.quantile_ms(0.5, buckets) == 1
    assert ops_figures.quantile_ms(0.9, buckets) == 10
    assert ops_figures.quantile_ms(0.99, buckets) == pytest.approx(100 + 150 * 0.9)
    assert ops_figures.quantile_ms(0.5, [0] * len(buckets)) is None


@pytest.mark.django_db(transaction=True)
def test_two_processes_write_their_own_rows_and_the_page_adds_them_up(fresh_rollup, monkeypatch):
    rollup.record("demo.service", seconds=0.004, cause=None, request_id="a")
    rollup.record("demo.service", seconds=0.300, cause="timeout", request_id="slow-one")
    rollup.flush()
    rollup.reset()  # a second process: its own totals, its own rows
    monkeypatch.setattr(rollup, "PROCESS", "other-host:1:abc")
    rollup.record("demo.service", seconds=0.002, cause="conflict", request_id="b")
    rollup.record_retry("demo.service")
    rollup.flush()
    rollup.flush()  # nothing changed: the same rows, not added twice

    services, _, rollbacks = ops_figures._rollup_figures(ops_figures.timezone.now().replace(microsecond=0), "hour")

    assert TransactionMinute.objects.count() == 2
    (figures,) = services
    assert figures.calls == 3 and figures.rollbacks == {"refusal": 0, "conflict": 1, "timeout": 1, "error": 0}
    assert figures.retries == 1 and sum(v for _, v in rollbacks) == 2
    assert ops_figures.slowest(ops_figures.timezone.now(), "hour")[0]["slowest_request_id"] == "slow-one"


@pytest.mark.django_db
def test_a_flush_inside_a_transaction_writes_nothing_and_keeps_the_figures(fresh_rollup):
    rollup.record("demo.service", seconds=0.001, cause=None, request_id="a")

    rollup.flush()  # pytest-django's test transaction is open

    assert not TransactionMinute.objects.exists()
    assert any(entry["dirty"] for entry in rollup._totals.values())


@pytest.mark.django_db
def test_the_page_says_when_prometheus_does_not_answer_and_shows_the_rollup(settings):
    settings.PROMETHEUS_URL = "http://127.0.0.1:9"  # discard port: connection refused

    figures = ops_figures.transaction_figures("day")

    assert figures["source"] == "rollup" and "did not answer" in figures["problem"]


def _lines(caplog, text):
    return [r for r in caplog.records if text in r.getMessage()]


@pytest.mark.django_db
def test_a_slow_transaction_and_its_503_carry_the_request_id_and_the_service(
    roadmap, settings, caplog, monkeypatch, fresh_rollup
):
    creator = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today())
    settings.SLOW_TRANSACTION_MS = -1  # every transaction is "slow"

    def lock_timeout(**kwargs):
        raise as_django(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))

    monkeypatch.setattr("milestones.services.milestones_unlock", lock_timeout)
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING):
        response = api_client_for(creator).post(f"/api/v1/tasks/{roadmap[1].pk}/complete", HTTP_X_REQUEST_ID="req-busy-9")

    assert response.status_code == 503
    (slow,) = _lines(caplog, "slow transaction")
    (busy,) = _lines(caplog, "database busy")
    for line in (slow, busy):
        assert line.request_id == "req-busy-9" and line.service == "tasks.task_complete"
    assert "service=tasks.task_complete" in busy.getMessage() and busy.status == 503
    (completion,) = [entry for (_, service), entry in rollup._totals.items() if service == "tasks.task_complete"]
    assert completion["timeouts"] == 1 and completion["commits"] == 0


@pytest.mark.django_db
def test_a_failed_email_job_logs_the_request_id_and_service_that_enqueued_it(signup_with_email_down, caplog):
    from core.metrics import EMAIL_JOBS
    from core.testing.jobs import run_queued_jobs

    failed = EMAIL_JOBS.labels("send_verification_email", "failed")
    before = failed._value.get()
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.ERROR):
        (job,) = run_queued_jobs()

    assert job.status == "FAILED" and failed._value.get() == before + 1
    (line,) = _lines(caplog, "job failed")
    assert line.request_id == "req-signup-5" and line.service == "accounts.user_signup"
    assert "task=send_verification_email" in line.getMessage() and str(job.id) in line.getMessage()


@pytest.fixture
def signup_with_email_down(settings):
    """A signup through the API (request id `req-signup-5`) while the email provider is down."""
    settings.EMAIL_BACKEND = "core.tests.test_transactions_page.BrokenEmailBackend"
    response = Client().post("/api/v1/auth/signup", {"email": "late@example.com", "password": "a-long-password-1",
                             "platform": "youtube"}, content_type="application/json",
                             HTTP_X_REQUEST_ID="req-signup-5")
    assert response.status_code == 202


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("the email provider is down")
