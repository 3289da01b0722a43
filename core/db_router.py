"""Read replicas: reads go to a healthy replica, except what must see the primary.

Only requests read from replicas (jobs and commands read the primary). A request that has
written to the primary reads from the primary for the rest of its life, and the browser that
sent it for REPLICA_PIN_SECONDS more (a signed cookie, set by RequestContextMiddleware): a streaming replica replays the primary's WAL a moment
later, so without the pin the redirect after a signup or the reload after a completion could
read a replica that has not seen it yet. Reads inside a transaction go to the primary too (they
may lock, and must see the transaction's own writes).

A replica that does not answer, or whose replay is more than REPLICA_MAX_LAG_SECONDS behind,
is skipped until its next check (every REPLICA_CHECK_SECONDS per process); with none left,
reads fall back to the primary and creatorcompass_replica_fallbacks_total counts why.
"""

import contextvars
import logging
import random
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from prometheus_client.core import GaugeMetricFamily

from core import metrics

logger = logging.getLogger(__name__)

# Outside a request (email jobs, commands, the shell) everything reads the primary: a job is
# enqueued in the transaction that wrote what it reads, so a replica that has not replayed that
# transaction yet would show it a world without it (and django-tasks-db claims its jobs with
# SELECT ... FOR UPDATE on the alias a read would choose). RequestContextMiddleware unpins.
_pinned = contextvars.ContextVar("pinned_to_primary", default=True)
_wrote = contextvars.ContextVar("wrote_to_primary", default=False)

# alias -> (monotonic time of the check, reason it is unusable or None)
_health = {}

# Seconds the replica's replay is behind: 0 when it has replayed everything it received (an idle
# primary is not lag), else the age of the last transaction it replayed. NULL on a server that is
# not replaying at all (the test suite's mirror alias), which counts as current.
_LAG_SQL = """
    SELECT COALESCE(
        CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
             ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END, 0)
"""


def unpin(pinned=False):
    """Start a request's routing: unpinned, or pinned when its browser wrote a moment ago."""
    return _pinned.set(pinned), _wrote.set(False)


def reset(tokens):
    pinned_token, wrote_token = tokens
    _pinned.reset(pinned_token)
    _wrote.reset(wrote_token)


def pin_to_primary():
    """Read the primary for the rest of this context (it saw a row the replica has not)."""
    _pinned.set(True)


def wrote():
    """Whether this context has written to the primary since it started."""
    return _wrote.get()


def forget_replica_health():
    """Check every replica again at its next read (tests, and after a failover)."""
    _health.clear()


def _replica_lag_seconds(alias):
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute(_LAG_SQL)
        return float(cursor.fetchone()[0])


def replica_lag(alias):
    """The replica's replay lag in seconds, or None when it does not answer."""
    try:
        return _replica_lag_seconds(alias)
    except DatabaseError as error:
        logger.warning("replica %s is unavailable: %s", alias, error)
        connections[alias].close()
        return None


def _unusable_reason(alias):
    """None when the replica may serve reads, else "down" or "lagging" (checked at most every
    REPLICA_CHECK_SECONDS in this process)."""
    now = time.monotonic()
    checked = _health.get(alias)
    if checked and now - checked[0] < settings.REPLICA_CHECK_SECONDS:
        return checked[1]
    lag = replica_lag(alias)
    if lag is None:
        reason = "down"
    elif lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica %s is %.1f s behind; reading the primary", alias, lag)
        reason = "lagging"
    else:
        reason = None
    _health[alias] = (now, reason)
    return reason


class ReplicaRouter:
    def db_for_write(self, model, **hints):
        _pinned.set(True)
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model, **hints):
        if _pinned.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block or not settings.DATABASE_REPLICAS:
            return DEFAULT_DB_ALIAS
        reasons = {alias: _unusable_reason(alias) for alias in settings.DATABASE_REPLICAS}
        usable = [alias for alias, reason in reasons.items() if reason is None]
        if usable:
            return random.choice(usable)
        metrics.REPLICA_FALLBACKS.labels(sorted(reasons.values())[0]).inc()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # replicas hold the same data as the primary

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaLagCollector:
    """Each read replica's replay lag, asked of the replica at scrape time (the router's own
    query below), and whether it answered. Not in the multiprocess files: a worker
    that last checked a replica minutes ago would report its old figure."""

    def collect(self):
        lag = GaugeMetricFamily("creatorcompass_replica_lag_seconds",
                                "Seconds the replica's replay is behind the primary (0 when caught up).",
                                labels=["replica"])
        up = GaugeMetricFamily("creatorcompass_replica_up", "1 when the replica answered the lag query, else 0.",
                               labels=["replica"])
        for alias in settings.DATABASE_REPLICAS:
            seconds = replica_lag(alias)
            up.add_metric([alias], 0 if seconds is None else 1)
            if seconds is not None:
                lag.add_metric([alias], seconds)
        yield lag
        yield up
