"""Row locks on billing's tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER). Every
lock on an entitlement row goes through here, so the order check sees it."""

from billing.models import Entitlement
from core.locks import lock_declare


def entitlement_qs_select_for_update():
    """Entitlement rows locked FOR NO KEY UPDATE when read (the mode an UPDATE of the row takes
    itself: it excludes every other writer of the row; no table references an entitlement, so
    FOR UPDATE would exclude nothing more). An UPDATE through this queryset locks the rows it
    changes the same way. After the stats lock, before any usage counter: call inside a
    transaction."""
    lock_declare(Entitlement)
    return Entitlement.objects.select_for_update(no_key=True)
