"""The replica router against a real streaming replica of the test database.

The session starts a second PostgreSQL server with pg_basebackup (core.testing.replica) and
points the `replica_1` alias at it. With its replay paused (pg_wal_replay_pause) the replica
truly lags: what the primary commits is not there until replay resumes.
"""

import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from accounts.models import User
from accounts.tests.factories import CreatorFactory, signup_payload
from accounts.tokens import verification_token_make
from core import db_router, middleware
from core.testing.api import api_client_for
from core.testing.replica import ReplicaUnavailable, StreamingReplica
from tasks.models import TaskCompletion

pytestmark = [
    pytest.mark.postgres(reason="a streaming replica is a PostgreSQL server (run with DATABASE_URL=postgres://...)"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica_1"]),
]


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    replica = StreamingReplica(connections["default"].settings_dict)
    try:
        replica.start()
    except (ReplicaUnavailable, FileNotFoundError) as error:
        pytest.skip(f"no streaming replica on this machine: {error}")
    yield replica
    replica.destroy()


@pytest.fixture
def replica(streaming_replica, settings):
    """`replica_1` is the streaming replica; routing on; replay running and caught up."""
    alias = connections["replica_1"]
    mirrored = alias.settings_dict
    alias.close()
    alias.settings_dict = {**connections["default"].settings_dict, "PORT": streaming_replica.port}
    settings.DATABASE_REPLICAS = ["replica_1"]
    settings.REPLICA_MAX_LAG_SECONDS = 60  # these tests pause replay on purpose
    db_router.forget_replica_health()
    tokens = db_router.unpin()
    yield streaming_replica
    streaming_replica.resume_replay()
    streaming_replica.catch_up()  # the next test's flush must replay before it reads
    db_router.reset(tokens)
    db_router.forget_replica_health()
    alias.close()
    alias.settings_dict = mirrored


def _queries(alias):
    return CaptureQueriesContext(connections[alias])


def _fallbacks(reason):
    return REGISTRY.get_sample_value("creatorcompass_replica_fallbacks_total", {"reason": reason}) or 0


def _reader(roadmap):
    """Another creator, already replayed, reading their roadmap through the API."""
    creator = CreatorFactory(platform="youtube")
    return api_client_for(creator)


def _sign_up_and_follow_the_link(browser):
    """Sign up on the page, open the verification link in the same browser (it logs that browser
    in), then the dashboard; returns the dashboard's response."""
    response = browser.post("/signup/", {**signup_payload(), "platform": "youtube", "niche": "cooking"})
    assert response.status_code == 302 and response.url == "/signup/sent/"
    assert "Check your inbox" in browser.get("/signup/sent/").content.decode()
    user = User.objects.using("default").get(email=signup_payload()["email"])
    browser.get(f"/verify/{verification_token_make(user)}/")
    return browser.get("/dashboard/")


def test_reads_go_to_the_replica_which_is_in_recovery(replica, roadmap):
    api = _reader(roadmap)
    replica.catch_up()

    with _queries("replica_1") as on_replica, _queries("default") as on_primary:
        assert api.get("/api/v1/roadmap").status_code == 200
    assert len(on_replica) >= 4 and len(on_primary) == 0
    with connections["replica_1"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True


def test_a_creator_sees_their_own_writes_on_the_next_requests_while_the_replica_lags(replica, roadmap):
    other = _reader(roadmap)
    replica.catch_up()
    replica.pause_replay()
    browser = Client()

    # signup → "check your inbox" → the link → dashboard: the account exists only on the primary.
    assert "Hi New Creator" in _sign_up_and_follow_the_link(browser).content.decode()
    with connections["replica_1"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_user WHERE email = %s", [signup_payload()["email"]])
        assert cursor.fetchone()[0] == 0  # the replica truly has not seen it

    # completion → reload
    task = roadmap[1]
    response = browser.post(f"/roadmap/tasks/{task.pk}/complete/", {"quality": "4", "next": "/roadmap/"})
    assert response.status_code == 302
    assert f'class="task task-done" id="task-{task.pk}"' in browser.get("/roadmap/").content.decode()

    # idea → list
    assert browser.post("/ideas/", {"title": "Studio tour, lights on", "task": ""}).status_code == 302
    assert "Studio tour, lights on" in browser.get("/ideas/").content.decode()

    # Everyone else keeps reading the lagging replica.
    with _queries("replica_1") as on_replica, _queries("default") as on_primary:
        assert other.get("/api/v1/roadmap").status_code == 200
    assert len(on_replica) >= 4 and len(on_primary) == 0


def test_without_the_pin_the_next_request_reads_the_lagging_replica(replica, roadmap, monkeypatch):
    """The planted defect: read-your-writes only inside one request (the pin cookie ignored)."""
    monkeypatch.setattr(middleware, "_wrote_recently", lambda request: False)
    replica.pause_replay()
    browser = Client()

    # The account and the session are not on the replica yet: the link finds no account, and the
    # new creator looks logged out.
    assert _sign_up_and_follow_the_link(browser).status_code == 302
    assert User.objects.using("default").filter(email=signup_payload()["email"]).exists()


def test_the_pin_expires(replica, roadmap, settings):
    settings.REPLICA_PIN_SECONDS = 1
    creator = CreatorFactory(platform="youtube")
    browser = Client()
    browser.force_login(creator)
    replica.catch_up()
    browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": "4", "next": "/roadmap/"})
    assert TaskCompletion.objects.using("default").filter(user=creator).exists()
    replica.catch_up()

    with _queries("replica_1") as on_replica:
        browser.get("/roadmap/")
    assert len(on_replica) == 0  # pinned: the browser wrote a moment ago
    time.sleep(1.2)
    with _queries("replica_1") as on_replica:
        browser.get("/roadmap/")
    assert len(on_replica) >= 4


def test_a_lagging_replica_is_skipped_and_counted(replica, roadmap, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    settings.REPLICA_CHECK_SECONDS = 0
    router = db_router.ReplicaRouter()
    replica.pause_replay()
    User.objects.create(email="writer@example.com")  # the replica receives it and cannot replay it
    time.sleep(1)
    before = _fallbacks("lagging")
    tokens = db_router.unpin()  # as a new request that has not written
    try:
        assert router.db_for_read(User) == "default"
        assert _fallbacks("lagging") == before + 1

        replica.resume_replay()
        replica.catch_up()
        # Used again once caught up. The cluster is shared: another database's long transaction
        # streams WAL with no commit, which reads as lag until it commits, so allow it to settle.
        deadline = time.monotonic() + 20
        while router.db_for_read(User) != "replica_1" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert router.db_for_read(User) == "replica_1"
    finally:
        db_router.reset(tokens)


def test_a_replica_that_is_down_is_skipped_and_requests_still_answer(replica, roadmap, caplog):
    api = _reader(roadmap)
    replica.catch_up()
    replica.stop()
    try:
        db_router.forget_replica_health()
        connections["replica_1"].close()
        before = _fallbacks("down")
        with _queries("default") as on_primary:
            assert api.get("/api/v1/roadmap").status_code == 200
        assert len(on_primary) >= 4
        assert _fallbacks("down") >= before + 4  # every read that fell back is counted
        # ... but the dead replica is tried once, not by every read (REPLICA_CHECK_SECONDS).
        assert sum("replica_1 is unavailable" in record.getMessage() for record in caplog.records) == 1
    finally:
        replica.restart()


def _api_signup_then_me(client_factory):
    """Sign up through the API, then read /me with the new token from a client without the
    signup's cookies (a cookieless API client)."""
    response = client_factory().post("/api/v1/auth/signup", {"email": "api.new@example.com", "password": "a-long-password-2026",
                                                             "platform": "youtube"}, format="json")
    assert response.status_code == 202
    token = client_factory().post("/api/v1/auth/token", {"email": "api.new@example.com", "password": "a-long-password-2026"},
                                  format="json").json()["token"]
    return client_factory().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_made_a_moment_ago_works_while_the_replica_lags(replica, roadmap):
    from rest_framework.test import APIClient

    replica.pause_replay()
    me = _api_signup_then_me(APIClient)
    assert me.status_code == 200 and me.json()["email"] == "api.new@example.com"


def test_the_token_check_fails_without_the_primary_fallback(replica, roadmap, monkeypatch):
    """Planted: the token looked up on the replica only (the scaled-out fault run's 401s)."""
    from rest_framework.test import APIClient

    from accounts import authentication

    monkeypatch.setattr(authentication, "DEFAULT_DB_ALIAS", "replica_1")
    replica.pause_replay()
    assert _api_signup_then_me(APIClient).status_code == 401


def test_a_token_found_only_on_the_primary_pins_the_rest_of_the_request_to_it(replica, roadmap):
    """After the primary fallback found the token, nothing else of that request reads the
    lagging replica (which has not seen the new creator's rows yet). Planted: the fallback
    without db_router.pin_to_primary()."""
    from rest_framework.test import APIClient

    replica.pause_replay()
    response = APIClient().post("/api/v1/auth/signup", {"email": "api.pin@example.com", "password": "a-long-password-2026",
                                                        "platform": "youtube"}, format="json")
    assert response.status_code == 202
    token = APIClient().post("/api/v1/auth/token", {"email": "api.pin@example.com", "password": "a-long-password-2026"},
                             format="json").json()["token"]
    with _queries("replica_1") as on_replica, _queries("default") as on_primary:
        me = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")

    assert me.status_code == 200 and me.json()["email"] == "api.pin@example.com"
    reads = [q["sql"] for q in on_replica.captured_queries if "pg_last_wal_receive_lsn" not in q["sql"]]  # the lag check
    assert len(reads) == 1 and "authtoken_token" in reads[0]  # the token, not found there
    assert "authtoken_token" in on_primary.captured_queries[0]["sql"] and len(on_primary) > 1


def _scraped_replica_series():
    """{metric name: value} for replica_1's series on /metrics (the test client is on 127.0.0.1,
    an allowed network)."""
    body = Client().get("/metrics").content.decode()
    found = {}
    for name in ("creatorcompass_replica_lag_seconds", "creatorcompass_replica_up"):
        prefix = f'{name}{{replica="replica_1"}} '
        found.update({name: float(line.removeprefix(prefix)) for line in body.splitlines() if line.startswith(prefix)})
    return found


def test_metrics_export_how_far_behind_the_replica_is(replica, roadmap):
    """What CreatorCompassReplicaLag (deploy/prometheus/rules/alerts.yml) alerts on: the lag
    read off the replica at scrape time, growing while its replay is paused."""
    replica.catch_up()
    replica.pause_replay()
    User.objects.create(email="writer@example.com")  # received, not replayed
    time.sleep(2)
    paused = _scraped_replica_series()
    assert paused["creatorcompass_replica_up"] == 1
    assert 2 <= paused["creatorcompass_replica_lag_seconds"] < 60

    replica.resume_replay()
    replica.catch_up()
    # As above: another database's long transaction on the shared cluster reads as lag until it commits.
    deadline = time.monotonic() + 20
    while _scraped_replica_series()["creatorcompass_replica_lag_seconds"] > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _scraped_replica_series()["creatorcompass_replica_lag_seconds"] == 0


def test_metrics_say_a_stopped_replica_is_down(replica, roadmap):
    replica.stop()
    try:
        connections["replica_1"].close()
        assert _scraped_replica_series() == {"creatorcompass_replica_up": 0}
    finally:
        replica.restart()
