"""Row locks on usage's tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER). Every
lock on a usage counter goes through here, so the order check sees it."""

from django.db import transaction

from core.locks import lock_declare
from usage.models import Feature, UsageCounter


def usage_counter_qs_for_update():
    """UsageCounter rows to change with one conditional UPDATE, which locks the rows it
    changes until the commit (no SELECT … FOR UPDATE: the UPDATE is the lock): last in the
    lock order. Call inside a transaction, after the stats and entitlement locks."""
    lock_declare(UsageCounter)
    return UsageCounter.objects.all()


def usage_period_opening_lock(*, user_id, feature):
    """Serialise opening a period of one creator's feature, to the commit: two consumes that both
    found no open period, computed in different time zones (a zone change between their reads of
    the profile), would otherwise open two overlapping periods with different start instants,
    which the unique constraint cannot tell apart. A transaction-scoped advisory lock on
    PostgreSQL (PgBouncer's transaction pooling keeps it: it ends with the transaction), at the
    counters' place in the lock order; SQLite serialises writers already. The caller re-reads
    after it. Call inside a transaction."""
    lock_declare(UsageCounter)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, _advisory_key(user_id, feature)])


# pg_advisory_xact_lock(int4, int4): our namespace, then the creator and feature in 31 bits.
_ADVISORY_NAMESPACE = 0x55534147  # "USAG"


def _advisory_key(user_id, feature):
    return (user_id * len(Feature.values) + Feature.values.index(feature)) % 2**31
