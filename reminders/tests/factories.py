import datetime

from accounts.services import profile_update
from accounts.tests.factories import CreatorFactory


def creator_with_reminder(*, timezone="UTC", at=datetime.time(9, 0), streak_nudge=True, **kwargs):
    """A creator (through signup) who chose a daily reminder time (through the profile service,
    which schedules it)."""
    user = CreatorFactory(timezone=timezone, **kwargs)
    profile_update(user=user, reminder_at=at, streak_nudge=streak_nudge)
    return user
