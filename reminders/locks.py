"""Row locks on reminders' tables (DESIGN.md §3.3: the order is core.locks.LOCK_ORDER)."""

from core.locks import lock_declare
from reminders.models import ReminderSchedule


def schedules_lock_due(*, now, limit):
    """Up to `limit` schedules due at `now`, earliest first, locked FOR UPDATE SKIP LOCKED (two
    sweeps take disjoint batches; one never waits for the other), with each creator's profile
    and stats (not locked). Call inside a transaction."""
    lock_declare(ReminderSchedule)
    return list(
        ReminderSchedule.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("user__profile", "user__stats")
        .filter(due_at__lte=now)
        .order_by("due_at")[:limit]
    )


def schedules_lock_of(*, user_id):
    """The creator's schedules, locked FOR UPDATE (waits for a sweep holding them). Call inside
    a transaction."""
    lock_declare(ReminderSchedule)
    return list(ReminderSchedule.objects.select_for_update().filter(user_id=user_id))
