"""Fault injection for proving atomicity: fail a piece of code right after its Nth write.

`count_writes()` counts the INSERT/UPDATE/DELETE statements that code runs;
`fail_after_write(n)` raises `InjectedFault` just after the nth one executed. Tests and
`check_transactions` run a durable service once per write with the fault placed after it and
then prove that nothing of it is left behind. It hooks Django's `execute_wrapper`, so services
carry no test code.
"""

import contextlib
import re

from django.db import connections

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")


class InjectedFault(Exception):
    """Raised on purpose by fail_after_write."""


_TABLE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def table_of(sql):
    """The table a write statement writes to."""
    match = _TABLE.match(sql)
    return match.group(1) if match else None


def _is_write(sql):
    return sql.lstrip().upper().startswith(WRITE_VERBS)


@contextlib.contextmanager
def _wrap_all(wrapper):
    with contextlib.ExitStack() as stack:
        for conn in connections.all():
            stack.enter_context(conn.execute_wrapper(wrapper))
        yield


@contextlib.contextmanager
def count_writes():
    """Yield a list that receives the SQL of every write executed inside the block."""
    writes = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if _is_write(sql):
            writes.append(sql)
        return result

    with _wrap_all(wrapper):
        yield writes


@contextlib.contextmanager
def fail_after_write(n):
    """Raise InjectedFault right after the nth write (1-based) inside the block. Yields a list
    that receives the SQL of every write executed, those after the fault (an error handler's)
    included."""
    writes = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if _is_write(sql):
            writes.append(sql)
            if len(writes) == n:
                raise InjectedFault(f"fault injected after write {n}: {sql[:80]}")
        return result

    with _wrap_all(wrapper):
        yield writes


@contextlib.contextmanager
def fail_on_write_to(table):
    """Raise InjectedFault when code writes to `table` (after the statement ran, inside its
    transaction): a failure in the middle of someone else's transaction, such as dj-stripe's."""

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if _is_write(sql) and table_of(sql) == table:
            raise InjectedFault(f"fault injected on write to {table}")
        return result

    with _wrap_all(wrapper):
        yield
