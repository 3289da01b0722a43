"""Row locks on reminders' tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER)."""

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from core.locks import lock_declare
from reminders.models import ReminderSchedule


def schedules_lock_due(*, now, limit, after=None):
    """Up to `limit` schedules due at `now`, in (due_at, id) order after `after` (the last
    (due_at, id) of the sweep's previous batch, or None), locked FOR UPDATE SKIP LOCKED (two
    sweeps take disjoint batches; one never waits for the other), with each creator's profile
    and stats (not locked). Call inside a transaction.

    `after` is a keyset: each batch moves its rows' due_at on, which leaves dead entries at the
    old position of the (due_at, id) index until vacuum; a scan from the start of the minute
    would walk all of them again in every batch (measured: 0.5 s per batch at 22,400 due rows,
    bench/reminders.py), a scan from the keyset walks none."""
    lock_declare(ReminderSchedule)
    due = ReminderSchedule.objects.select_for_update(skip_locked=True, of=("self",)).filter(due_at__lte=now)
    if after is not None:
        table = ReminderSchedule._meta.db_table
        due = due.filter(RawSQL(f'("{table}"."due_at", "{table}"."id") > (%s, %s)', after, output_field=BooleanField()))
    return list(due.select_related("user__profile", "user__stats").order_by("due_at", "id")[:limit])


def schedules_lock_of(*, user_id):
    """The creator's schedules, locked FOR UPDATE (waits for a sweep holding them). Call inside
    a transaction."""
    lock_declare(ReminderSchedule)
    return list(ReminderSchedule.objects.select_for_update().filter(user_id=user_id))
