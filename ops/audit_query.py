"""The audit's plumbing: a breach, and one set-based query under the audit's own statement
timeout or the page's budget (ops.audit)."""

import contextvars
import dataclasses
import time

from django.db import OperationalError, connection, transaction

from core.errors import TooLong


@dataclasses.dataclass
class Breach:
    check: str
    ids: dict  # what identifies the breach (user_id, milestone_id, counter id, …)
    detail: str


# Each check reads every creator's rows in one query: at 1,000,000 creators one takes tens of
# seconds, past the statement timeout that keeps requests from piling up (settings.
# DATABASE_TIMEOUTS), which would cancel the audit. It gets its own limit, set per transaction
# (SET LOCAL holds through PgBouncer's transaction pooling).
STATEMENT_TIMEOUT_MS = 15 * 60 * 1000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout
# A page cannot wait that long: gunicorn kills a worker after 30 s. audit(within=...) gives the
# whole audit a budget instead; each check gets what is left of it as its statement timeout.
audit_deadline = contextvars.ContextVar("audit_deadline", default=None)
_TOO_LONG = "The integrity audit takes longer than a page can wait at this size."


def _timeout_ms():
    deadline = audit_deadline.get()
    if deadline is None:
        return STATEMENT_TIMEOUT_MS
    left = int((deadline - time.monotonic()) * 1000)
    if left <= 0:
        raise TooLong(_TOO_LONG)
    return min(left, STATEMENT_TIMEOUT_MS)


def rows(sql, params=()):
    timeout_ms = _timeout_ms()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms:d}")
        try:
            cursor.execute(sql, params)
        except OperationalError as error:
            if audit_deadline.get() is not None and getattr(error.__cause__, "sqlstate", None) == QUERY_CANCELED:
                raise TooLong(_TOO_LONG) from error
            raise
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
