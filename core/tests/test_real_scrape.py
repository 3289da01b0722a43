"""A real Prometheus scrapes a live gunicorn (3 workers, PROMETHEUS_MULTIPROC_DIR) with the
shipped rules (deploy/prometheus/rules; every `for:` shortened to 0 s and the intervals to 1 s so
the test takes seconds, not minutes): the counters add up across workers, a planted slow
transaction fires CreatorCompassSlowTransactions, its log line carries the request id and the
service, and the admin's figures read back from Prometheus' query API."""

import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
PROMETHEUS = shutil.which("prometheus")

pytestmark = [
    pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian: apt-get install prometheus)"),
    pytest.mark.django_db(transaction=True),
]

# A well-formed event (so it reaches the signature check) with a forged signature.
FORGED_EVENT = (b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "created": 1700000000, '
                b'"livemode": false, "data": {"object": {"id": "in_1", "object": "invoice", "customer": "cus_1"}}}')


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait(what, check, timeout=25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _http(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def app_server(tmp_path):
    """gunicorn with 3 workers on the test database; yields (base URL, log file, multiproc dir)."""
    port, metrics_dir, log = _free_port(), tmp_path / "metrics", tmp_path / "app.log"
    metrics_dir.mkdir()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "core.testing.scrape_server", "DATABASE_URL": _database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "3",
        "ROLLUP_FLUSH_SECONDS": "0", "SLOW_TRANSACTION_MS": "800", "LOG_FORMAT": "json", "DEBUG": "false",
    }
    with log.open("w") as output:
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "creatorcompass.wsgi", "-c", "gunicorn.conf.py"],
                                  cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("gunicorn", lambda: _http(f"{base}/healthz")[0] == 200)
        yield base, log, metrics_dir
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.fixture
def prometheus(tmp_path, app_server):
    """Debian's Prometheus on loopback, scraping app_server every second with the shipped rules."""
    base, _, _ = app_server
    rules = []
    for source in sorted(RULES.glob("*.yml")):
        copy = tmp_path / source.name
        copy.write_text(re.sub(r"for: \d+m", "for: 0s", source.read_text()))
        rules.append(str(copy))
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": rules,
        "scrape_configs": [{"job_name": "creatorcompass", "static_configs": [{"targets": [base.removeprefix("http://")]}]}],
    }))
    server = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"), start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("prometheus", lambda: _http(f"{url}/-/ready")[0] == 200)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _query(prometheus, expr):
    status, body = _http(f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def _value(prometheus, expr):
    result = _query(prometheus, expr)
    return float(result[0]["value"][1]) if result else None


@pytest.fixture
def creator_token(roadmap):
    from rest_framework.authtoken.models import Token

    from accounts.models import Enrollment
    from accounts.tests.factories import CreatorFactory

    creator = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=creator).update(started_on=datetime.date.today() - datetime.timedelta(days=9))
    return Token.objects.create(user=creator).key


@pytest.fixture
def webhook_uuid(db):
    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        id="we_scrape_test", livemode=False, url="http://127.0.0.1/stripe/webhook/", enabled_events=["*"],
        secret="whsec_scrape_test", status="enabled", djstripe_uuid=uuid.uuid4(), api_version="2026-05-27.dahlia",
    )
    return endpoint.djstripe_uuid


def test_prometheus_scrapes_every_worker_and_a_slow_transaction_fires_its_alert(
    app_server, prometheus, roadmap, creator_token, webhook_uuid, settings
):
    from core import ops_figures, rollup
    from core.models import TransactionMinute

    base, log, _ = app_server
    auth = {"Authorization": f"Token {creator_token}", "Content-Type": "application/json"}
    # Prime the planted service's series (a first sample at 0 slow calls), and wait for a scrape.
    assert _http(f"{base}/testing/slow-transaction?seconds=0")[0] == 200
    _wait("the first scrape", lambda: _value(prometheus, 'up{job="creatorcompass"}') == 1)
    time.sleep(1.5)

    # While one worker is busy with the slow transaction, the others take the rest.
    calls = [(f"{base}/testing/slow-transaction?seconds=1.3", None, {"X-Request-ID": "req-slow-plant"})]
    calls += [(f"{base}/api/v1/tasks/{roadmap[day].pk}/complete", b"{}", {**auth, "X-Request-ID": f"req-day-{day}"})
              for day in range(1, 7)]
    calls.append((f"{base}/api/v1/tasks/{roadmap[31].pk}/complete", b"{}", {**auth, "X-Request-ID": "req-refused"}))
    calls.append((f"{base}/stripe/webhook/{webhook_uuid}/", FORGED_EVENT,
                  {"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=forged"}))
    statuses = [None] * len(calls)

    def call(index):
        statuses[index] = _http(*calls[index])[0]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(calls))]
    threads[0].start()
    time.sleep(0.2)
    for thread in threads[1:]:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert statuses == [200, 201, 201, 201, 201, 201, 201, 409, 400]

    commits = 'sum(creatorcompass_transactions_total{service="tasks.task_complete", outcome="commit"})'
    _wait("6 completions in Prometheus", lambda: _value(prometheus, commits) == 6)
    assert _value(prometheus, 'sum(creatorcompass_transaction_rollbacks_total{service="tasks.task_complete", cause="refusal"})') == 1
    assert _value(prometheus, 'sum(creatorcompass_webhook_events_total{outcome="invalid"})') == 1
    assert _value(prometheus, 'sum(creatorcompass_http_requests_total{status="201"})') == 6
    # The same transactions as the workers' own rollup rows: written by more than one process.
    rows = TransactionMinute.objects.filter(service__in=["tasks.task_complete", "testing.slow_transaction"]).exclude(
        process=rollup.PROCESS)  # the gunicorn workers' rows, not this test process' own
    assert sum(row.commits for row in rows if row.service == "tasks.task_complete") == 6
    assert len({row.process for row in rows}) >= 2

    firing = _wait("CreatorCompassSlowTransactions to fire", lambda: [
        alert for alert in json.loads(_http(f"{prometheus}/api/v1/alerts")[1])["data"]["alerts"]
        if alert["labels"]["alertname"] == "CreatorCompassSlowTransactions" and alert["state"] == "firing"
    ])
    assert "testing.slow_transaction" in {alert["labels"]["service"] for alert in firing}

    slow_lines = [json.loads(line) for line in log.read_text().splitlines() if '"slow transaction' in line]
    pairs = {(line["request_id"], line["service"]) for line in slow_lines}
    # A completion queued behind others' writes can be slow too (SQLite, a busy machine); each
    # line names its own request and service.
    assert ("req-slow-plant", "testing.slow_transaction") in pairs
    assert all(service == "tasks.task_complete" and request_id.startswith("req-day-")
               for request_id, service in pairs - {("req-slow-plant", "testing.slow_transaction")})

    settings.PROMETHEUS_URL = prometheus
    figures = ops_figures.transaction_figures("hour")
    by_service = {figures.service: figures for figures in figures["services"]}
    assert figures["source"] == "prometheus"
    completions = by_service["tasks.task_complete"]
    # increase() extrapolates a few seconds of samples towards the window's end: 7 and a bit.
    assert 7 <= completions.calls <= 10 and completions.rollbacks["refusal"] >= 1
    assert by_service["testing.slow_transaction"].p99_ms > 1000
