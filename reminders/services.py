"""Reminders' writes: keeping each creator's next-due instant true, and the due sweep that claims
and queues the reminders whose minute has come (at most one per creator, kind and local date)."""

import dataclasses
import datetime

from django.db.models import Max
from django.utils import timezone

from accounts.services import profile_update
from core.email import email_enqueue_many
from core.transactions import durable_service
from reminders import jobs
from reminders.locks import schedules_lock_due, schedules_lock_of
from reminders.models import ReminderClaim, ReminderKind, ReminderSchedule
from reminders.rules import local_times_wanted, streak_at_risk
from reminders.schedule import next_due, today_due, zone_of

SWEEP_BATCH = 500


def schedule_sync(*, user, profile, now):
    """Make the creator's schedules what their zone and preferences say, from `now`: each wanted
    kind due at its next local time on a date after the last one claimed (a zone move lives no
    date twice); a kind no longer wanted loses its schedule. Call inside a transaction."""
    schedules_lock_of(user_id=user.pk)
    ReminderSchedule.objects.filter(user_id=user.pk).delete()
    wanted = local_times_wanted(profile)
    if not wanted:
        return []
    claimed = dict(
        ReminderClaim.objects.filter(user_id=user.pk).values("kind").annotate(last=Max("local_date"))
        .values_list("kind", "last")
    )
    zone = zone_of(profile.timezone)
    rows = []
    for kind, at in wanted.items():
        last = claimed.get(kind)
        due_on, due_at = next_due(
            at=at, zone=zone, now=now, not_before=last and last + datetime.timedelta(days=1)
        )
        rows.append(ReminderSchedule(user_id=user.pk, kind=kind, local_time=at, zone=profile.timezone,
                                     due_on=due_on, due_at=due_at))
    return ReminderSchedule.objects.bulk_create(rows)


def schedule_on_profile_change(sender, *, user, profile, fields, **kwargs):
    """accounts' reminder_inputs_changed receiver: reschedule in the profile change's transaction."""
    schedule_sync(user=user, profile=profile, now=timezone.now())


@dataclasses.dataclass(frozen=True)
class SweepResult:
    due: int  # schedules read (the batch was full if this equals the batch size)
    queued: int  # reminders claimed and queued
    lag_seconds: list  # per queued reminder: how long after its due instant it was queued
    still_due: int = 0  # schedules moved to an instant already past (today's, after a missed day)
    last: tuple | None = None  # (due_at, id) of the batch's last schedule: the next batch's keyset


def _plan(row, *, now, claimed):
    """What the sweep does with one due schedule: (queue it?, its next (date, instant), why).
    Stale (zone or preference moved without a reschedule) → reschedule from the profile, send
    nothing; a date already over in its zone (the sweep fell behind) → today's instead; a claimed
    date or a nudge with no streak at risk → skip to the next date."""
    profile = row.user.profile
    wanted = local_times_wanted(profile).get(row.kind)
    if wanted is None:
        return False, None, "off"
    zone = zone_of(profile.timezone)
    if profile.timezone != row.zone or wanted != row.local_time:
        return False, next_due(at=wanted, zone=zone, now=now, not_before=row.due_on), "stale"
    today = now.astimezone(zone).date()
    if row.due_on < today:
        return False, today_due(at=wanted, zone=zone, now=now), "missed"
    following = next_due(at=wanted, zone=zone, now=now, not_before=row.due_on + datetime.timedelta(days=1))
    if (row.user_id, row.kind, row.due_on) in claimed:
        return False, following, "claimed"
    if row.kind == ReminderKind.STREAK and not streak_at_risk(
        stats=row.user.stats, profile=profile, local_date=row.due_on, now=now
    ):
        return False, following, "not at risk"
    return True, following, "queued"


@durable_service("reminders.reminders_queue_due")
def reminders_queue_due(*, now=None, batch_size=SWEEP_BATCH, after=None):
    """One batch of the due sweep, one transaction: lock up to `batch_size` due schedules (SKIP
    LOCKED: another sweep takes others), claim the reminders to send (unique per creator, kind
    and local date) and queue their email jobs in this transaction, and move every schedule to its
    next date. `after`: the previous batch's `last` (locks.schedules_lock_due). Five queries
    whatever the batch holds."""
    now = now or timezone.now()
    rows = schedules_lock_due(now=now, limit=batch_size, after=after)
    if not rows:
        return SweepResult(due=0, queued=0, lag_seconds=[])
    claimed = set(
        ReminderClaim.objects.filter(
            user_id__in={row.user_id for row in rows}, local_date__in={row.due_on for row in rows}
        ).values_list("user_id", "kind", "local_date")
    )
    last = (rows[-1].due_at, rows[-1].pk)
    claims, moved, dropped = [], [], []
    for row in rows:
        queue, following, _reason = _plan(row, now=now, claimed=claimed)
        if queue:
            claims.append(ReminderClaim(user_id=row.user_id, kind=row.kind, local_date=row.due_on,
                                        due_at=row.due_at, queued_at=now))
        if following is None:
            dropped.append(row.pk)
            continue
        row.due_on, row.due_at = following
        row.zone, row.local_time = row.user.profile.timezone, local_times_wanted(row.user.profile)[row.kind]
        moved.append(row)
    # A duplicate claim raises IntegrityError and rolls the whole batch back: the claim is the
    # last word on "once per date", whatever the schedule said.
    ReminderClaim.objects.bulk_create(claims)
    email_enqueue_many(jobs.send_reminder, [((c.user_id, c.kind, c.local_date.isoformat()), {}) for c in claims])
    ReminderSchedule.objects.bulk_update(moved, ["due_on", "due_at", "zone", "local_time"], batch_size=len(rows))
    if dropped:
        ReminderSchedule.objects.filter(pk__in=dropped).delete()
    return SweepResult(due=len(rows), queued=len(claims),
                       lag_seconds=[(now - claim.due_at).total_seconds() for claim in claims],
                       still_due=sum(row.due_at <= now for row in moved), last=last)


def reminders_sweep(*, now=None, batch_size=SWEEP_BATCH):
    """Every reminder due at `now`, batch after batch (each its own transaction), until a batch
    comes back short and left nothing due (a missed day's schedule moved to today's past minute
    is sent in the next batch). Returns the SweepResults. Call outside any transaction."""
    now = now or timezone.now()
    results, after, again = [], None, False
    while True:
        result = reminders_queue_due(now=now, batch_size=batch_size, after=after)
        results.append(result)
        again = again or bool(result.still_due)
        if result.due == batch_size:
            after = result.last
        elif again:  # moved behind the keyset: one more pass from the start
            after, again = None, False
        else:
            return results


def reminder_stop(*, user, kind):
    """The stop link of a reminder email: the daily reminder stops every reminder email (the
    nudge rides on it); the nudge's stops the nudge. Idempotent (a second click changes nothing)."""
    if kind == ReminderKind.DAILY:
        return profile_update(user=user, reminder_at=None)
    return profile_update(user=user, streak_nudge=False)
