"""Throttle counters shared by every worker: Redis (Django's RedisCache, an atomic INCR), the
database cache when no Redis is configured, and a deploy check that refuses a per-process cache
with more than one worker. The proof: two gunicorn workers and a limit of 5 let exactly 5 of 30
concurrent requests through; with the old per-process cache planted back, more get through."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches

from core.throttle import throttle_hit

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="Redis is not running at 127.0.0.1:6379")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    yield caches["default"]
    caches["default"].clear()


def _race(attempts, hit):
    barrier = threading.Barrier(attempts)
    allowed = []

    def one():
        barrier.wait()
        allowed.append(hit() == 0)

    threads = [threading.Thread(target=one) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return allowed.count(True)


@needs_redis
def test_redis_lets_exactly_the_limit_through_a_race(redis_cache, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "5/minute"}
    assert _race(30, lambda: throttle_hit("token", "198.51.100.7")) == 5


@needs_redis
def test_the_window_starts_again(redis_cache, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "2/2"}
    assert [throttle_hit("token", "a") == 0 for _ in range(3)] == [True, True, False]
    time.sleep(2.1)
    assert throttle_hit("token", "a") == 0


@pytest.mark.django_db
def test_the_database_cache_is_the_default_without_redis_and_counts(settings):
    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "creatorcompass_cache"}}
    call_command("createcachetable", verbosity=0)  # what migrate does with these settings (core 0004)
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token": "2/minute"}
    assert [throttle_hit("token", "b") == 0 for _ in range(3)] == [True, True, False]


def _manage(*args, **env):
    environment = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "creatorcompass.settings",
                   "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
                   "ALLOWED_HOSTS": "creatorcompass.example", **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_deploy_check_refuses_a_per_process_cache_with_several_workers():
    refused = _manage("check", "--deploy", CACHE_URL="locmemcache://", WEB_CONCURRENCY="3")
    one_worker = _manage("check", "--deploy", "--fail-level", "WARNING", CACHE_URL="locmemcache://", WEB_CONCURRENCY="1")
    redis = _manage("check", "--deploy", "--fail-level", "WARNING", REDIS_URL=REDIS_URL, WEB_CONCURRENCY="3")
    default = _manage("check", "--deploy", "--fail-level", "WARNING", WEB_CONCURRENCY="3")

    assert refused.returncode != 0 and "core.E003" in refused.stderr + refused.stdout
    assert one_worker.returncode == redis.returncode == default.returncode == 0, one_worker.stderr + redis.stderr + default.stderr


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn_allowed(tmp_path, **env):
    """Start gunicorn with two workers and THROTTLE_TOKEN=5/minute, fire 30 concurrent token
    requests (each an invalid body: a 400 when let through, a 429 when throttled, no database
    work either way) and return how many were let through."""
    port = _free_port()
    environment = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "creatorcompass.settings",
        "SECRET_KEY": "throttle-proof-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}", "THROTTLE_TOKEN": "5/minute",
        "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING", **env,
    }
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "creatorcompass.wsgi", "--access-logfile", "/dev/null"],
                              cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1/auth/token"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)  # both workers booted (each imports the app)
        statuses = []
        barrier = threading.Barrier(30)

        def one():
            request = urllib.request.Request(url, data=b"{}", headers={"Content-Type": "application/json"})
            barrier.wait()
            try:
                statuses.append(urllib.request.urlopen(request, timeout=20).status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        threads = [threading.Thread(target=one) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert sorted(set(statuses)) <= [400, 429], statuses
    return statuses.count(400)


@needs_redis
def test_two_gunicorn_workers_with_redis_let_exactly_five_through(tmp_path):
    prefix = uuid.uuid4().hex
    assert _gunicorn_allowed(tmp_path, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix) == 5


def test_planted_per_process_cache_lets_more_through(tmp_path):
    """The old default planted back (an in-memory cache per worker): each worker counts its own
    five, so the same 30 requests let more than five through."""
    assert _gunicorn_allowed(tmp_path, CACHE_URL="locmemcache://") > 5
