"""The send ledger: which emails left, kept outside the database, so that it survives a restore.

`SentEmail` rows say which emails were sent, but they live in the database: a point-in-time
restore forgets the ones sent after its target while the jobs that sent them come back queued
(or RUNNING, which the sweeper re-enqueues). The ledger is an append-only SQLite file
(`EMAIL_SEND_LEDGER`, on another disk than the database, never restored with it): `deliver_once`
consults it after claiming a key and records each send in it before recording it in the
database. An email is identified by its key, its recipient and its subject: a key alone is
made of database ids (`welcome:<user id>`), which a restored database hands out again to
someone else; the same key, address and subject is the same message to the same person.

Without `EMAIL_SEND_LEDGER` (development, tests that do not test it) nothing is recorded and
every send goes by `SentEmail` alone: production sets it in /etc/creatorcompass.env (docs/backups.md).
"""

import contextlib
import datetime
import hashlib
import sqlite3

from django.conf import settings

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sent (identity TEXT PRIMARY KEY, key TEXT NOT NULL, recipient TEXT NOT NULL,"
    " subject TEXT NOT NULL, sent_at TEXT NOT NULL, message_id TEXT NOT NULL)"
)


def _identity(key, to, subject):
    return hashlib.sha256("\n".join((key, to.lower(), subject)).encode()).hexdigest()


@contextlib.contextmanager
def _ledger():
    path = settings.EMAIL_SEND_LEDGER
    if not path:
        yield None
        return
    # Autocommit: each statement is durable on its own; several workers share the file (WAL).
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(_SCHEMA)
        yield conn
    finally:
        conn.close()


def ledger_has_sent(*, key, to, subject):
    """Whether this email (key, recipient, subject) is recorded as sent."""
    with _ledger() as ledger:
        if ledger is None:
            return False
        found = ledger.execute("SELECT 1 FROM sent WHERE identity = ?", [_identity(key, to, subject)]).fetchone()
        return found is not None


def ledger_record(*, key, to, subject, message_id):
    """Record a send that happened (a repeat records nothing)."""
    with _ledger() as ledger:
        if ledger is not None:
            ledger.execute(
                "INSERT OR IGNORE INTO sent VALUES (?, ?, ?, ?, ?, ?)",
                [_identity(key, to, subject), key, to, subject,
                 datetime.datetime.now(datetime.timezone.utc).isoformat(), message_id],
            )


def ledger_sent_since(instant):
    """[(key, recipient, subject, sent at)] of the emails sent at `instant` or later, oldest first."""
    with _ledger() as ledger:
        if ledger is None:
            return []
        rows = ledger.execute(
            "SELECT key, recipient, subject, sent_at FROM sent WHERE sent_at >= ? ORDER BY sent_at",
            [instant.astimezone(datetime.timezone.utc).isoformat()],
        ).fetchall()
    return [(key, to, subject, datetime.datetime.fromisoformat(at)) for key, to, subject, at in rows]
