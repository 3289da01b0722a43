"""In tests, a database write inside a `transaction.on_commit` callback is refused (DESIGN.md
§3.2): it would run after the COMMIT, outside the transaction that caused it, where a crash loses
it and no fault injection reaches it. Every side effect is an outbox job enqueued inside the
transaction instead. The refusal raises before the statement runs, so nothing is written."""

import contextlib
import functools

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from core.faults import table_of

_WRITES = ("INSERT", "UPDATE", "DELETE")


class OnCommitWrite(AssertionError):
    """A database write from an on-commit callback."""


def _refuse(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith(_WRITES):
        raise OnCommitWrite(f"database write inside an on_commit callback ({table_of(sql)}): {sql[:80]}")
    return execute(sql, params, many, context)


def _refusing(func):
    @functools.wraps(func)
    def run():
        with contextlib.ExitStack() as stack:
            for conn in connections.all():
                stack.enter_context(conn.execute_wrapper(_refuse))
            return func()

    return run


@contextlib.contextmanager
def writes_refused_in_on_commit():
    """While active, every on-commit callback registered runs with database writes refused."""
    real = BaseDatabaseWrapper.on_commit

    def on_commit(self, func, robust=False):
        return real(self, _refusing(func), robust)

    BaseDatabaseWrapper.on_commit = on_commit
    try:
        yield
    finally:
        BaseDatabaseWrapper.on_commit = real
