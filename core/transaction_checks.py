"""Proving atomicity on a live database: every durable service, failed after each of its
writes, leaves no row changed, added or removed, and queues no on-commit side effect.

Each app declares how to exercise its services in `<app>/transaction_checks.py`:

    @scenario("accounts.user_signup")
    def signup():
        ...set up what the service needs...
        return lambda: services.user_signup(...)

`run_checks()` runs every scenario once to count its writes, then once per write with a fault
injected right after that write, and compares the tables the service may touch before and after
as row digests keyed by primary key (`RowDigests`), so a leaked UPDATE or DELETE is caught, not
only a leaked INSERT; it also compares the pending on-commit callbacks.

The tables compared: every table the counting run writes (the faulted run repeats the same code
up to the fault, so a write before the fault is always among them); every table the faulted run
itself writes (an error handler's write happens only there); and, for every service, the job
table of django-tasks-db and the email outbox (`core_sentemail`). A row left in those two is an
email about something that was rolled back, the one side effect the product promises never to
have, so they are compared even when no write to them is seen (a row written through a cursor
the statement hook does not wrap, such as the driver's own).

Cheap on a big database: each table is first one aggregate computed by the database (row count
and the sum of per-row hashes: one scan, no rows sent); only a table whose aggregate moved has
its per-row digests fetched, once right after the fault and once more after the faulted run's
savepoint is rolled back (which restores the state before it), and the two are compared to name
the rows left behind by primary key.

The counting run also records which tables the service really changes. A scenario whose run
changes no row of the tables it writes (an email job aside: queuing one about nothing changes
nothing) cannot fail, so it is reported `no effect`: set it up so that its writes change
something (an entitlement to mark, a celebration not yet seen).

A run must also reach what its scenario declares (`scenario(..., reaches=...)`: tables, a column's
branch, an email job): a fault after a write the run never makes proves nothing about it, so a
missed one is `unreached`; a run that writes nothing is `no writes`; a run that registers
on-commit work is `on commit` (done after COMMIT, it is outside the transaction proven here).
Tables a scenario writes outside the transaction on purpose (`outside=`, dj-stripe's record of
a webhook delivery) get no fault and are not compared (docs/guarantees.md).

Everything happens inside one outer transaction that is rolled back at the end, so a production
database keeps nothing (only sequences advance). The outer block is marked the way Django's
TestCase marks its own, so the services' durable blocks run as savepoints inside it: their
rollback on the injected fault is what is being proven.
"""

import dataclasses
import hashlib
import time

from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.models import DBTaskResult

from core.check_reaches import reach_state, unreached
from core.faults import count_writes, fail_after_write, table_of
from core.models import SentEmail
from core.transactions import DURABLE_SERVICES

SCENARIOS = {}


SKIPPED = {}

# Compared for every service: see the module doc.
ALWAYS_COMPARED = (DBTaskResult._meta.db_table, SentEmail._meta.db_table)


# What each scenario declares its run must reach, and the tables it writes outside the
# transaction on purpose (see `scenario`).
REACHES = {}
OUTSIDE = {}


def scenario(service_name, *, reaches=None, outside=()):
    """Register the function that sets a service up and returns a zero-argument run, with the
    writes that run must reach, each one of:

    - "table": some row of the table is added, removed or changed;
    - "table.column": some row's column takes another value (or a new row has one): a branch, such
      as `accounts_enrollment.current_week` for the week advance;
    - "job:<name>": a job whose task is called <name> is enqueued (an email branch, in the outbox).

    A run that misses one of them is `unreached`: a fault after a write the scenario never makes
    proves nothing about it. A scenario that declares nothing is `undeclared`.

    `outside`: tables the run writes outside the transaction on purpose, whose rows a fault may
    leave (dj-stripe's record of a webhook delivery, kept with its traceback whatever happens)."""

    def register(func):
        SCENARIOS[service_name] = func
        REACHES[service_name] = None if reaches is None else tuple(reaches)
        OUTSIDE[service_name] = frozenset(outside)
        return func

    return register


def not_checkable(service_name, reason):
    """Declare that a service cannot run here (it needs an outside system), and why."""
    SKIPPED[service_name] = reason


class RowDigests:
    """The state of tables on one connection: `aggregates(tables)` is cheap (one query, one
    value per table), `rows(table)` maps each primary key to a digest of the whole row.
    PostgreSQL hashes `row::text` on the server; SQLite calls a function registered on the
    connection that hashes the row's columns."""

    def __init__(self, conn=connection):
        self.conn = conn
        self._columns, self._keys = {}, {}
        if conn.vendor == "sqlite":
            conn.ensure_connection()
            conn.connection.create_function("cc_row_md5", -1, _row_md5, deterministic=True)
            conn.connection.create_aggregate("cc_md5_sum", 1, _Md5Sum)

    def _digest(self, table):
        """SQL of a digest of the whole row `cc_row` of `table`."""
        if self.conn.vendor == "postgresql":
            return "md5(cc_row::text)"
        if table not in self._columns:
            with self.conn.cursor() as cursor:
                description = self.conn.introspection.get_table_description(cursor, table)
            self._columns[table] = ", ".join(f"cc_row.{self.conn.ops.quote_name(c.name)}" for c in description)
        return f"cc_row_md5({self._columns[table]})"

    def _primary_key(self, table):
        if table not in self._keys:
            with self.conn.cursor() as cursor:
                self._keys[table] = self.conn.introspection.get_primary_key_column(cursor, table)
            if self._keys[table] is None:
                raise ValueError(f"{table} has no primary key: its rows cannot be told apart")
        return self._keys[table]

    def aggregates(self, tables):
        """{table: (row count, sum of row hashes)} in one round trip."""
        tables = sorted(tables)
        if not tables:
            return {}
        selects = []
        for position, table in enumerate(tables):
            if self.conn.vendor == "postgresql":
                total = "coalesce(sum(hashtextextended(cc_row::text, 0)), 0)::text"
            else:
                total = f"coalesce(cc_md5_sum({self._digest(table)}), '')"
            selects.append(f"SELECT {position}, count(*), {total} FROM {self.conn.ops.quote_name(table)} AS cc_row")
        with self.conn.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects))
            return {tables[position]: (count, total) for position, count, total in cursor.fetchall()}

    def rows(self, table):
        """{primary key: digest of the row} of every row of `table`."""
        pk = f"cc_row.{self.conn.ops.quote_name(self._primary_key(table))}"
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {self._digest(table)} FROM {self.conn.ops.quote_name(table)} AS cc_row")
            return {key if isinstance(key, (int, str)) else str(key): value for key, value in cursor.fetchall()}


def _row_md5(*columns):
    return hashlib.md5(repr(columns).encode()).hexdigest()


class _Md5Sum:
    """SQLite aggregate: the sum of the rows' digests read as numbers (order does not matter)."""

    def __init__(self):
        self.total = 0

    def step(self, digest):
        self.total += int(digest, 16)

    def finalize(self):
        return format(self.total, "x")


def rows_diff(before, after):
    """{"added"|"removed"|"changed": sorted keys} between two `RowDigests.rows()`; empty kinds left out."""
    diff = {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(key for key in before.keys() & after.keys() if before[key] != after[key]),
    }
    return {kind: keys for kind, keys in diff.items() if keys}


FAILURES = ("leak", "error", "no scenario", "no effect", "no writes", "unreached", "undeclared", "on commit")


@dataclasses.dataclass
class CheckResult:
    service: str
    steps: int = 0
    result: str = "ok"
    detail: str = ""
    writes: list = dataclasses.field(default_factory=list)
    # Tables whose rows the service changed when it ran to the end (the counting run).
    changes: list = dataclasses.field(default_factory=list)
    # Tables compared after each fault.
    compared: list = dataclasses.field(default_factory=list)
    # On a leak: {table: {"added"|"removed"|"changed": [primary keys]}} left behind by the fault.
    rows_left: dict = dataclasses.field(default_factory=dict)

    # Declared reaches (`scenario`) the counting run did not reach.
    unreached: list = dataclasses.field(default_factory=list)

    @property
    def failed(self):
        """Not proven atomic: a leak, a broken or missing scenario, one that writes nothing or whose writes
        change nothing, one that misses a write it declares or declares none, or one that leaves work
        for after COMMIT."""
        return self.result in FAILURES

    def as_dict(self):
        return dataclasses.asdict(self)


class _Discard(Exception):
    """Raised to roll a savepoint back on purpose."""


def _check_block():
    """An atomic block inside which durable services may run (as savepoints): marked the way
    Django's TestCase marks the blocks it wraps tests in."""
    block = transaction.atomic()
    block._from_testcase = True
    return block


def _in_savepoint(work):
    """Run work() in a savepoint that is always rolled back; return what it returned."""
    outcome = {}
    try:
        with _check_block():
            outcome["value"] = work()
            raise _Discard()
    except _Discard:
        pass
    return outcome.get("value")


def _tables(writes):
    return {table_of(sql) for sql in writes} - {None}


def _counting_run(make_run, digests, reaches=()):
    """Run the service to the end: (its writes' tables, the tables whose rows it changed, the
    declared reaches it missed, the on-commit callbacks it registered)."""
    run = make_run()
    tables_read = {reach.split(".", 1)[0] for reach in reaches if not reach.startswith("job:")}

    def to_the_end():
        reach_before = reach_state(reaches, digests.conn)
        callbacks = len(connection.run_on_commit)
        with count_writes() as writes:
            run()
        registered = len(connection.run_on_commit) - callbacks
        tables = _tables(writes) | set(ALWAYS_COMPARED) | tables_read
        return [table_of(sql) for sql in writes], digests.aggregates(tables), reach_before, \
            reach_state(reaches, digests.conn), registered

    tables, after, reach_before, reach_after, registered = _in_savepoint(to_the_end)
    before = digests.aggregates(after)  # the savepoint is rolled back: this is the state before the run
    changed = sorted(table for table in after if after[table] != before[table])
    return tables, changed, unreached(reaches, reach_before, reach_after, changed), registered


def _faulted_run(make_run, step, compared, digests, outside=frozenset()):
    """Run the service with a fault after write `step`: (whether the fault fired, the rows left
    behind {table: diff}, the on-commit callbacks left behind)."""
    run = make_run()
    before, callbacks = digests.aggregates(compared), len(connection.run_on_commit)

    def faulted():
        writes = []
        try:
            with fail_after_write(step) as writes:
                run()
        except Exception:
            if len(writes) < step:
                raise  # a failure before the fault: the scenario is broken
        if len(writes) < step:
            return None
        # The fault fired, whether it escaped or was caught on its way out (a view answering 500,
        # dj-stripe recording the failure) and whatever it broke after it. Django marks the
        # enclosing block for rollback when an exception escapes a query outside the service's
        # own block (a leaky write); the fault came after a statement that succeeded, so the
        # database transaction is sound: keep comparing.
        transaction.set_rollback(False)
        after = digests.aggregates(compared)
        suspects = {table for table in compared if after[table] != before[table]} | (_tables(writes) - set(compared))
        suspects -= outside
        return {table: digests.rows(table) for table in suspects}, len(connection.run_on_commit) - callbacks

    outcome = _in_savepoint(faulted)
    if outcome is None:
        return False, {}, 0
    rows_after, callbacks_left = outcome
    # The faulted run's savepoint is rolled back, so the rows read now are the rows before it.
    left = {table: rows_diff(digests.rows(table), rows) for table, rows in sorted(rows_after.items())}
    return True, {table: diff for table, diff in left.items() if diff}, callbacks_left


def _describe(rows_left, callbacks_left):
    parts = [
        f"{table} {kind} {', '.join(map(str, keys))}"
        for table, diff in rows_left.items()
        for kind, keys in diff.items()
    ]
    return f"rows left: {'; '.join(parts) or 'none'}; on-commit callbacks left: {callbacks_left}"


def _check_one(name, make_run, digests):
    result = CheckResult(service=name)
    reaches = REACHES.get(name) or ()
    result.writes, result.changes, result.unreached, registered = _in_savepoint(
        lambda: _counting_run(make_run, digests, reaches)
    )
    result.steps = len(result.writes)
    outside = OUTSIDE.get(name, frozenset())
    result.compared = sorted(set(result.writes) - {None} - outside | set(ALWAYS_COMPARED))
    own = set(result.writes) - {None} - set(ALWAYS_COMPARED)
    if result.steps == 0:
        result.result = "no writes"
        result.detail = ("writes nothing in this database's state, so no fault can be placed: "
                         "set the scenario up so that it does")
        return result
    if own and not own & set(result.changes):
        result.result = "no effect"
        result.detail = (
            f"its writes to {', '.join(sorted(own))} change no row, so a fault after them proves nothing: "
            "set the scenario up so that they do"
        )
        return result
    # No fault after a write to an `outside` table: it is not part of the transaction being proven
    # (dj-stripe records the delivery before its event transaction and marks it after the COMMIT).
    for step in (n for n, table in enumerate(result.writes, 1) if table not in outside):
        fired, rows_left, callbacks_left = _in_savepoint(
            lambda step=step: _faulted_run(make_run, step, result.compared, digests, outside)
        )
        if not fired:
            result.result, result.detail = "leak", f"step {step}: the fault did not fire (the service wrote less than counted)"
            break
        if rows_left or callbacks_left:
            result.result, result.rows_left = "leak", rows_left
            result.detail = f"after write {step} ({result.writes[step - 1]}): {_describe(rows_left, callbacks_left)}"
            break
    if result.result == "ok" and registered:
        # Work after COMMIT is outside the transaction this check proves: a write there is not
        # rolled back with the service, and no fault here can reach it (DESIGN.md §3.2: the outbox).
        result.result = "on commit"
        result.detail = f"registers {registered} on-commit callback(s): write or enqueue inside the transaction instead"
    elif result.result == "ok" and result.unreached:
        result.result = "unreached"
        result.detail = f"the run never reached {', '.join(result.unreached)}: set the scenario up so that it does"
    elif result.result == "ok" and REACHES.get(name) is None:
        result.result = "undeclared"
        result.detail = "declare the writes its run must reach: @scenario(name, reaches=...)"
    return result


def run_checks(only=None):
    """Check every durable service (or those named in `only`); returns CheckResults."""
    autodiscover_modules("transaction_checks")
    names = sorted(set(DURABLE_SERVICES) | set(SCENARIOS))
    if only:
        names = [n for n in names if n in set(only)]
    results = []
    digests = RowDigests()
    outer = _check_block()  # durable services run as savepoints inside (see module doc)
    outer.__enter__()
    try:
        for name in names:
            if name in SKIPPED:
                results.append(CheckResult(service=name, result="skipped", detail=SKIPPED[name]))
                continue
            if name not in SCENARIOS:
                results.append(CheckResult(service=name, result="no scenario", detail="declare one in <app>/transaction_checks.py"))
                continue
            started = time.perf_counter()
            try:
                result = _check_one(name, SCENARIOS[name], digests)
            except Exception as exc:  # a broken scenario is reported, not fatal to the others
                result = CheckResult(service=name, result="error", detail=f"{type(exc).__name__}: {exc}")
            result.detail = (result.detail + f" ({time.perf_counter() - started:.2f}s)").strip()
            results.append(result)
    finally:
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    return results
