"""The app's own transaction figures, for the admin's Transactions page when no Prometheus is
configured (core.ops_figures reads them back).

`record` runs after every durable-service attempt and only updates this process' totals in
memory (per minute and service: calls, commits, rollbacks by cause, retries, a duration
histogram and the slowest transaction with its request id). `flush_if_due` writes them, at most
every ROLLUP_FLUSH_SECONDS and never inside a transaction, as one upsert of this process' own
rows (core.TransactionMinute): no row is shared between processes, so the write neither waits
for nor blocks anyone, and the hot path pays one dictionary update per transaction. What a
killed process had not flushed yet (at most ROLLUP_FLUSH_SECONDS of its figures; a gunicorn
worker that exits normally flushes in gunicorn.conf.py's worker_exit) is lost;
Prometheus, when configured, is the source that loses nothing.
"""

import bisect
import datetime
import logging
import os
import socket
import threading
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger("creatorcompass.rollup")

# Milliseconds; the bounds of creatorcompass_transaction_seconds. The last bucket is +Inf.
BUCKET_BOUNDS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
CAUSES = ("refusal", "conflict", "timeout", "error")
_FIELDS = ("calls", "commits", *(f"{cause}s" for cause in CAUSES), "retries", "duration_ms")

PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
_lock = threading.Lock()
_totals = {}  # (minute, service) -> dict of this process' running totals for that minute
_state = {"flushed_at": time.monotonic(), "pruned_at": 0.0}


def _minute(now):
    return now.replace(second=0, microsecond=0)


def _entry(service, now):
    key = (_minute(now), service)
    entry = _totals.get(key)
    if entry is None:
        entry = _totals[key] = dict.fromkeys(_FIELDS, 0)
        entry.update(buckets=[0] * (len(BUCKET_BOUNDS_MS) + 1), slowest_ms=0.0, slowest_request_id="", dirty=True)
    return entry


def record(service, *, seconds, cause, request_id):
    """Count one attempt of `service`: `cause` is None for a commit, else one of CAUSES."""
    now = datetime.datetime.now(datetime.timezone.utc)
    milliseconds = seconds * 1000
    with _lock:
        entry = _entry(service, now)
        entry["calls"] += 1
        entry["commits" if cause is None else f"{cause}s"] += 1
        entry["duration_ms"] += milliseconds
        entry["buckets"][bisect.bisect_left(BUCKET_BOUNDS_MS, milliseconds)] += 1
        if milliseconds > entry["slowest_ms"]:
            entry["slowest_ms"], entry["slowest_request_id"] = milliseconds, request_id
        entry["dirty"] = True


def record_retry(service):
    now = datetime.datetime.now(datetime.timezone.utc)
    with _lock:
        entry = _entry(service, now)
        entry["retries"] += 1
        entry["dirty"] = True


def flush_if_due():
    """Flush when ROLLUP_FLUSH_SECONDS have passed. Call outside any transaction."""
    if time.monotonic() - _state["flushed_at"] >= settings.ROLLUP_FLUSH_SECONDS:
        flush()


def flush():
    """Write this process' changed totals (one upsert) and forget the minutes that are over.
    A database error is logged and the figures are kept for the next flush: the page is a
    convenience and must never fail a request."""
    from core.models import TransactionMinute

    _state["flushed_at"] = time.monotonic()
    if connection.in_atomic_block:
        return  # inside someone's transaction: its rollback would take our rows with it
    current = _minute(datetime.datetime.now(datetime.timezone.utc))
    with _lock:
        changed = [(key, dict(entry)) for key, entry in _totals.items() if entry["dirty"]]
        for key, entry in _totals.items():
            entry["dirty"] = False
    if not changed:
        return
    rows = [
        TransactionMinute(
            minute=minute, service=service, process=PROCESS,
            **{name: value for name, value in entry.items() if name != "dirty"},
        )
        for (minute, service), entry in changed
    ]
    try:
        TransactionMinute.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["minute", "service", "process"],
            update_fields=[*_FIELDS, "buckets", "slowest_ms", "slowest_request_id"],
        )
        _prune_if_due()
    except DatabaseError:
        logger.warning("transaction rollup not written; kept for the next flush", exc_info=True)
        with _lock:
            for key, _ in changed:
                if key in _totals:
                    _totals[key]["dirty"] = True
        return
    with _lock:
        for key in [key for key in _totals if key[0] < current and not _totals[key]["dirty"]]:
            del _totals[key]


def _prune_if_due():
    """Once an hour per process: drop rows older than ROLLUP_KEEP_HOURS."""
    from core.models import TransactionMinute

    if time.monotonic() - _state["pruned_at"] < 3600:
        return
    _state["pruned_at"] = time.monotonic()
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=settings.ROLLUP_KEEP_HOURS)
    TransactionMinute.objects.filter(minute__lt=cutoff).delete()


def reset():
    """Forget the unflushed figures (tests)."""
    with _lock:
        _totals.clear()
