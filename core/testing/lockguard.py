"""A test-time guard that every row lock on a model in core.locks.LOCK_ORDER was declared.

The order check (core.locks) sees only the locks declared through the apps' lock functions. A
lock taken around them — a queryset locked on the spot, an UPDATE of the rows, Django's
update_or_create (which locks first), raw SQL — would escape it. Installed for every test by the root
conftest, this guard reads each statement the code under test runs inside its transaction:
a SELECT … FOR [NO KEY] UPDATE or an UPDATE of one of these models' tables before its lock was
declared in that transaction raises UndeclaredLock, and the test fails at teardown even if the
code under test swallowed the exception. (SQLite drops FOR UPDATE from the SQL, so there only
UPDATEs are seen; the PostgreSQL run sees both.)
"""

import contextlib
import re

from django.apps import apps
from django.conf import settings
from django.db import connection

from core.locks import LOCK_ORDER, locks_declared


class UndeclaredLock(AssertionError):
    pass


_UPDATE = re.compile(r'^\s*UPDATE\s+"?(\w+)"?', re.IGNORECASE)
_FOR_UPDATE = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)
_FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)


def locked_table(sql):
    """The table whose rows the statement locks, if it is an UPDATE or a SELECT … FOR UPDATE."""
    match = _UPDATE.match(sql)
    if match is None and _FOR_UPDATE.search(sql):
        match = _FROM.search(sql)
    return match.group(1) if match else None


@contextlib.contextmanager
def guard_lock_declarations():
    """Yield the list of undeclared locks seen while the guard is on (default connection:
    every lock is taken on the primary)."""
    violations = []
    # A test may narrow the installed apps (django_db(available_apps=...)): its models only.
    labels = {
        apps.get_model(label)._meta.db_table: label
        for label in LOCK_ORDER
        if label.split(".")[0] in apps.app_configs
    }

    def check(execute, sql, params, many, context):
        label = labels.get(locked_table(sql))
        declared = locks_declared(context["connection"]) if label is not None and settings.LOCK_ORDER_CHECKS else None
        if declared is not None and label not in declared:
            problem = f"{label} rows locked without its lock function (core.locks): {sql[:200]}"
            violations.append(problem)
            raise UndeclaredLock(problem)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(check):
        yield violations
