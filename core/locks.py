"""Row locks in one order, as code (DESIGN.md §3.3).

Two transactions that lock rows in the same order may wait for each other but never deadlock.
The order is LOCK_ORDER, declared here once. Every row lock on one of these models goes through
its app's lock function (`accounts.locks`, `billing.locks`, `usage.locks`, one per model, as
Saleor's lock_objects.py), which calls `lock_declare(Model)` right before the statement that
takes the lock: a SELECT … FOR UPDATE, or an UPDATE, which locks the rows it changes.

With LOCK_ORDER_CHECKS on (the test settings, and DEBUG) the transaction records the models it
declared locks on, and a lock on a model that comes earlier in the order than one it already
holds raises LockOrderViolation at once, naming both. Taking a model it holds again (another
counter, the same stats row, the entitlement it locked before a counter) is fine. The check
counts models, not rows: a transaction locks one creator's stats and entitlement. Off
(production) `lock_declare` is one settings flag check.
"""

from django.conf import settings
from django.db import transaction

# Core imports no app: it names the models by label. The apps' lock functions hand their
# models to lock_declare, which refuses a model missing here.
LOCK_ORDER = ("accounts.CreatorStats", "billing.Entitlement", "usage.UsageCounter", "reminders.ReminderSchedule")
_RANK = {label: rank for rank, label in enumerate(LOCK_ORDER)}


class LockOrderViolation(RuntimeError):
    """A transaction asked for a row lock that comes before one it already holds."""


def lock_declare(model):
    """Declare that the next statement locks rows of `model` (call right before it, inside the
    transaction). With LOCK_ORDER_CHECKS on, raises LockOrderViolation when the transaction
    already holds a lock that comes later in LOCK_ORDER."""
    if settings.LOCK_ORDER_CHECKS:
        _record(model._meta.label)


def _record(label):
    if label not in _RANK:
        raise ValueError(f"{label} is not in core.locks.LOCK_ORDER: give it a place in the order first")
    block = _transaction_block(transaction.get_connection())
    if block is None:
        return  # autocommit: the statement is a transaction of its own
    held = block.__dict__.setdefault("_lock_ranks_held", set())
    rank = _RANK[label]
    # A lock the transaction holds already is granted without waiting, so asking again (two
    # consumes re-read the entitlement they locked) cannot deadlock: only a new lock can.
    if rank not in held and held and max(held) > rank:
        raise LockOrderViolation(
            f"{label} lock asked for while this transaction holds {LOCK_ORDER[max(held)]}: "
            f"locks are taken in the order {' → '.join(LOCK_ORDER)}"
        )
    held.add(rank)


def _transaction_block(connection):
    """The atomic block that is the application's transaction: the outermost one that no test
    wrapper opened. Django's TestCase (pytest-django's `db`) and check_transactions mark their
    own blocks `_from_testcase`; a durable service inside them runs as a savepoint but is, to
    the application, the whole transaction. The state lives on that block, so the next
    transaction (a new block) starts clean and a savepoint inside it changes nothing."""
    return next((block for block in connection.atomic_blocks if not block._from_testcase), None)


def locks_declared(connection):
    """The labels the connection's current transaction declared locks on, in LOCK_ORDER; None
    outside a transaction."""
    block = _transaction_block(connection)
    if block is None:
        return None
    return tuple(LOCK_ORDER[rank] for rank in sorted(block.__dict__.get("_lock_ranks_held", ())))
