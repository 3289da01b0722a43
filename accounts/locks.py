"""Row locks on accounts' tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER). Every
lock on a creator's stats row goes through here, so the order check sees it."""

from django.db import router

from accounts.models import CreatorStats, Enrollment
from core.locks import lock_declare
from core.rawsql import Select, Table


def stats_qs_select_for_update():
    """CreatorStats rows locked FOR UPDATE when read (the stats row alone, even when the query
    joins other tables): first in the lock order. Call inside a transaction, before any other
    lock."""
    lock_declare(CreatorStats)
    return CreatorStats.objects.select_for_update(of=("self",))


_STATS_FIELDS = [field.name for field in CreatorStats._meta.concrete_fields]


def _stats_following_select(alias):
    stats, enrollment = Table(CreatorStats, alias), Table(Enrollment, alias)
    sql = (
        f"SELECT {stats.columns(_STATS_FIELDS)} FROM {stats.name} WHERE {stats.column('user')} = %s "
        f"AND EXISTS (SELECT 1 FROM {enrollment.name} WHERE {enrollment.column('user')} = {stats.column('user')} "
        f"AND {enrollment.column('platform')} = %s)"
    )
    if stats.connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, [(stats, name) for name in _STATS_FIELDS]


_STATS_FOLLOWING = Select(CreatorStats, _stats_following_select)


def stats_lock_following(*, user_id, platform):
    """The creator's stats row locked FOR UPDATE and read under the lock, if the creator follows
    `platform`'s roadmap, else None and nothing is locked. Every completion starts with it, so it
    is hand-written SQL (core.rawsql); the enrollment is an EXISTS, which locks nothing."""
    lock_declare(CreatorStats)
    alias = router.db_for_write(CreatorStats)
    rows = _STATS_FOLLOWING.rows([user_id, platform], alias=alias)
    if not rows:
        return None
    return CreatorStats.from_db(alias, _STATS_FIELDS, rows[0])
