"""PgBouncer in transaction pooling mode (deploy/pgbouncer/pgbouncer.ini), started by the test.

The suite's concurrency tests also run through it in CI (`.ci/run`, DB_TRANSACTION_POOLING=true);
these tests pin what the pool itself must do.
"""

import configparser
import re
import shutil
import tempfile
import threading

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from core.testing.pgbouncer import TEMPLATE, PgBouncer


def _pool_timeouts(ini_text):
    parser = configparser.ConfigParser()
    parser.read_string(ini_text)
    connect_query = re.search(r"connect_query='([^']*)'", parser["databases"]["*"]).group(1)
    return {name: int(value) for name, value in re.findall(r"SET (\w+) = (\d+)", connect_query)}


def test_the_pool_gives_every_server_connection_the_apps_timeouts():
    assert _pool_timeouts(TEMPLATE.read_text()) == settings.DATABASE_TIMEOUTS
    assert "pool_mode = transaction" in TEMPLATE.read_text()


def test_the_timeouts_check_sees_a_pool_without_them():
    planted = TEMPLATE.read_text().replace("SET lock_timeout = 5000; ", "")
    assert _pool_timeouts(planted) != settings.DATABASE_TIMEOUTS


def _start_pool(config_edit=None):
    primary = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("PgBouncer pools PostgreSQL connections (run with DATABASE_URL=postgres://...)")
    # Not pytest's tmp_path: pgbouncer runs as the postgres user, who cannot enter root's.
    directory = tempfile.mkdtemp(prefix="cc-pgbouncer-")
    pool = PgBouncer(directory, f"postgres://{primary['USER']}@{primary['HOST']}:{primary['PORT']}", pool_size=4)
    try:
        pool.start(config_edit)
    except FileNotFoundError as error:
        pytest.skip(str(error))
    return pool, primary["NAME"], directory


def _idle_clients_between_transactions(pool, name, clients=60):
    """`clients` connections each run a transaction, all wait (connected, idle) at a barrier,
    then each runs another. Returns the PostgreSQL backends used, the lock_timeout each
    transaction saw, and the errors."""
    barrier = threading.Barrier(clients, timeout=8)
    backends, timeouts, errors = set(), set(), []

    def client():
        try:
            with psycopg.connect(pool.url(name), connect_timeout=10) as conn:
                for _ in range(2):
                    with conn.transaction():
                        backends.add(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
                        timeouts.add(conn.execute("SHOW lock_timeout").fetchone()[0])
                    barrier.wait()
        except Exception as error:  # noqa: BLE001 - every client's failure is reported
            errors.append(error)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return backends, timeouts, errors


POSTGRES_ONLY = pytest.mark.postgres(reason="PgBouncer pools PostgreSQL connections (run with DATABASE_URL=postgres://...)")


@POSTGRES_ONLY
@pytest.mark.django_db
def test_idle_clients_hold_no_server_connection():
    pool, name, directory = _start_pool()
    try:
        backends, timeouts, errors = _idle_clients_between_transactions(pool, name)
    finally:
        pool.stop()
        shutil.rmtree(directory, ignore_errors=True)
    assert not errors
    assert 1 <= len(backends) <= 4  # 60 connected clients, at most the pool's 4 PostgreSQL backends
    assert timeouts == {"5s"}  # set by the pool on every server connection, not by the client


@POSTGRES_ONLY
@pytest.mark.django_db
def test_the_idle_clients_check_fails_in_session_pooling():
    """Planted: session pooling, where a connected client keeps its server connection."""
    pool, name, directory = _start_pool(lambda ini: ini.replace("pool_mode = transaction", "pool_mode = session"))
    try:
        _, _, errors = _idle_clients_between_transactions(pool, name)
    finally:
        pool.stop()
        shutil.rmtree(directory, ignore_errors=True)
    assert errors and all(isinstance(error, threading.BrokenBarrierError) for error in errors)
