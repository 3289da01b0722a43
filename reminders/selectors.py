"""Reminders' reads: what a reminder email says at send time, or why it is not sent."""

import dataclasses

from django.utils import timezone

from accounts.selectors import active_user
from reminders.models import ReminderKind, ReminderSchedule
from reminders.rules import local_times_wanted, streak_at_risk
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
