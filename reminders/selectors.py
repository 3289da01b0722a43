"""Reminders' reads: what a reminder email says at send time, or why it is not sent."""

import dataclasses

from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import CreatorProfile
from accounts.selectors import active_user
from reminders.models import ReminderClaim, ReminderKind, ReminderSchedule
from reminders.rules import local_times_wanted, streak_at_risk
from reminders.schedule import wall_instant, zone_of
from tasks.selectors import roadmap_for


@dataclasses.dataclass(frozen=True)
class ReminderToSend:
    user: object
    template: str
    context: dict


def reminder_to_send(*, user_id, kind, local_date, now=None):
    """What to send for a queued reminder, decided again at send time, or (None, why not): the
    creator is gone or turned the kind off; the date is no longer their today (a late job, a
    zone move); today's task is already done (daily); the streak is no longer at risk (nudge)."""
    now = now or timezone.now()
    user = active_user(user_id=user_id)
    if user is None:
        return None, "inactive"
    profile = user.profile
    if kind not in local_times_wanted(profile):
        return None, "off"
    if timezone.localdate(now, timezone=profile.tzinfo) != local_date:
        return None, "not today"
    if kind == ReminderKind.STREAK:
        if not streak_at_risk(stats=user.stats, profile=profile, local_date=local_date, now=now):
            return None, "not at risk"
        return ReminderToSend(user, "reminder_streak", {"streak": user.stats.current_streak}), "send"
    roadmap = roadmap_for(user=user, now=now)
    today = roadmap.today_day
    if today is None or today.locked or today.completed:
        return None, "done"
    return ReminderToSend(user, "reminder_daily", {"roadmap_day": today}), "send"


def schedules_of(*, user):
    """{kind: ReminderSchedule} of the creator's next reminders."""
    return {row.kind: row for row in ReminderSchedule.objects.filter(user=user)}


def schedule_breaches():
    """The reminders' invariants, for the integrity audit: [(user id, problem)]. At most one claim
    per creator, kind and local date is the database's unique constraint; here, every stored
    next-due instant must be what the creator's zone and preference say: the right kinds, the
    zone and local time of the profile, the instant the clock reads that time on `due_on` (DST
    included), and a date after the last one claimed. One pass over the schedules and claims."""
    claimed = {(row["user_id"], row["kind"]): row["last"] for row in
               ReminderClaim.objects.values("user_id", "kind").annotate(last=Max("local_date"))}
    schedules = {}
    for row in ReminderSchedule.objects.all():
        schedules.setdefault(row.user_id, {})[row.kind] = row
    profiles = CreatorProfile.objects.filter(Q(user_id__in=schedules) | Q(reminder_at__isnull=False))
    breaches = []
    for profile in profiles:
        rows = schedules.get(profile.user_id, {})
        wanted = local_times_wanted(profile)
        if set(rows) != set(wanted):
            breaches.append((profile.user_id, f"schedules {sorted(map(str, rows))} but preferences ask for {sorted(map(str, wanted))}"))
            continue
        for kind, row in rows.items():
            expected = wall_instant(row.due_on, row.local_time, zone_of(row.zone))
            last = claimed.get((profile.user_id, kind))
            if (row.zone, row.local_time) != (profile.timezone, wanted[kind]):
                breaches.append((profile.user_id, f"{kind} computed for {row.zone} {row.local_time}"))
            elif row.due_at != expected:
                breaches.append((profile.user_id, f"{kind} due {row.due_at:%Y-%m-%dT%H:%MZ}, expected {expected:%Y-%m-%dT%H:%MZ}"))
            elif last is not None and row.due_on <= last:
                breaches.append((profile.user_id, f"{kind} due on {row.due_on}, already claimed through {last}"))
    return breaches
