"""Row locks on accounts' tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER). Every
lock on a creator's stats row goes through here, so the order check sees it."""

from accounts.models import CreatorStats
from core.locks import lock_declare


def stats_qs_select_for_update():
    """CreatorStats rows locked FOR UPDATE when read (the stats row alone, even when the query
    joins other tables): first in the lock order. Call inside a transaction, before any other
    lock."""
    lock_declare(CreatorStats)
    return CreatorStats.objects.select_for_update(of=("self",))
