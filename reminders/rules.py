"""Which reminders a creator gets (their preferences) and when the streak is at risk. No writes."""

from accounts.streaks import stats_seen
from reminders.models import ReminderKind
from reminders.schedule import NUDGE_AT


def local_times_wanted(profile):
    """{kind: local time} of the reminders the creator's preferences ask for. No daily time, no
    email at all: the nudge rides on a reminder the creator chose (docs/reminders.md)."""
    if profile.reminder_at is None:
        return {}
    wanted = {ReminderKind.DAILY: profile.reminder_at}
    if profile.streak_nudge:
        wanted[ReminderKind.STREAK] = NUDGE_AT
    return wanted


def streak_at_risk(*, stats, profile, local_date, now):
    """The nudge's rule: a streak of at least 2 still alive and nothing completed on `local_date`."""
    seen = stats_seen(stats, profile=profile, now=now)
    return seen.current_streak >= 2 and (seen.last_active_on is None or seen.last_active_on < local_date)
