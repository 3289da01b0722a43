"""Proving atomicity on a live database: every durable service, failed after each of its
writes, leaves nothing behind and queues no on-commit side effect.

Each app declares how to exercise its services in `<app>/transaction_checks.py`:

    @scenario("accounts.user_signup")
    def signup():
        ...set up what the service needs...
        return lambda: services.user_signup(...)

`run_checks()` runs every scenario once to count its writes, then once per write with a fault
injected right after that write, comparing the row count of every table and the pending
on-commit callbacks before and after. Everything happens inside one outer transaction that is
rolled back at the end, so a production database keeps nothing (only sequences advance). The
outer block is marked the way Django's TestCase marks its own, so the services' durable blocks
run as savepoints inside it: their rollback on the injected fault is what is being proven.
"""

import dataclasses
import time

from django.apps import apps
from django.db import connection, transaction
from django.utils.module_loading import autodiscover_modules

from core.faults import InjectedFault, count_writes, fail_after_write, table_of
from core.transactions import DURABLE_SERVICES

SCENARIOS = {}


SKIPPED = {}


def scenario(service_name):
    """Register the function that sets a service up and returns a zero-argument run."""

    def register(func):
        SCENARIOS[service_name] = func
        return func

    return register


def not_checkable(service_name, reason):
    """Declare that a service cannot run here (it needs an outside system), and why."""
    SKIPPED[service_name] = reason


@dataclasses.dataclass
class CheckResult:
    service: str
    steps: int = 0
    result: str = "ok"
    detail: str = ""
    writes: list = dataclasses.field(default_factory=list)

    @property
    def leaked(self):
        return self.result == "leak"

    def as_dict(self):
        return dataclasses.asdict(self)


class _Discard(Exception):
    """Raised to roll a savepoint back on purpose."""


def _row_counts():
    return {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


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


def _check_one(name, make_run):
    result = CheckResult(service=name)

    def count():
        run = make_run()
        with count_writes() as writes:
            run()
        return [table_of(sql) for sql in writes]

    result.writes = _in_savepoint(count)
    result.steps = len(result.writes)
    for step in range(1, result.steps + 1):

        def faulted(step=step):
            run = make_run()
            before, callbacks = _row_counts(), len(connection.run_on_commit)
            try:
                with fail_after_write(step):
                    run()
            except InjectedFault:
                # Django marks the enclosing block for rollback when an exception escapes a
                # query outside the service's own block (a leaky write). The fault comes after a
                # statement that succeeded, so the database transaction is sound: keep counting.
                transaction.set_rollback(False)
            else:
                return f"step {step}: the fault did not fire (the service wrote less than counted)"
            after = _row_counts()
            changed = {table: after[table] - before[table] for table in after if after[table] != before[table]}
            if changed or len(connection.run_on_commit) != callbacks:
                return f"after write {step} ({result.writes[step - 1]}): rows left {changed}, on-commit callbacks {len(connection.run_on_commit) - callbacks}"
            return None

        problem = _in_savepoint(faulted)
        if problem:
            result.result, result.detail = "leak", problem
            break
    if result.result == "ok" and result.steps == 0:
        result.detail = "writes nothing in this database's state"
    return result


def run_checks(only=None):
    """Check every durable service (or those named in `only`); returns CheckResults."""
    autodiscover_modules("transaction_checks")
    names = sorted(set(DURABLE_SERVICES) | set(SCENARIOS))
    if only:
        names = [n for n in names if n in set(only)]
    results = []
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
                result = _check_one(name, SCENARIOS[name])
            except Exception as exc:  # a broken scenario is reported, not fatal to the others
                result = CheckResult(service=name, result="error", detail=f"{type(exc).__name__}: {exc}")
            result.detail = (result.detail + f" ({time.perf_counter() - started:.2f}s)").strip()
            results.append(result)
    finally:
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
    return results
