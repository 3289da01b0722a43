"""Row locks on usage's tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER). Every
lock on a usage counter goes through here, so the order check sees it."""

from core.locks import lock_declare
from usage.models import UsageCounter


def usage_counter_qs_for_update():
    """UsageCounter rows to change with one conditional UPDATE, which locks the rows it
    changes until the commit (no SELECT … FOR UPDATE: the UPDATE is the lock): last in the
    lock order. Call inside a transaction, after the stats and entitlement locks."""
    lock_declare(UsageCounter)
    return UsageCounter.objects.all()
