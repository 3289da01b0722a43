"""The streak a creator reads: the one place every surface (the API's /me, the completion
response and the roadmap, the dashboard, the streak calendar, the public pages) gets it from.

CreatorStats stores the run of consecutive local days that ends on `last_active_on` (what the
completions add up to: the audit and `--fix` compare and repair exactly that, ops.replay).
Whether the run is still going depends on the day it is read: it is if the creator completed a
task today or yesterday in their own time zone, else the current streak is 0. So it is derived on
read from `last_active_on` and the creator's local today, never written back: reading changes
nothing, and the stored run stays what the completions say. The longest streak is kept as stored.
"""

import dataclasses
import datetime

from django.utils import timezone


def streak_current(*, run, last_active_on, today):
    """The current streak on the creator's local date `today`, of a run of `run` days that ended
    on `last_active_on`: the run while its last day is today or yesterday, else 0. A last day
    after `today` (the creator moved west across time zones) keeps the run. Pure."""
    if last_active_on is None or last_active_on < today - datetime.timedelta(days=1):
        return 0
    return run


@dataclasses.dataclass(frozen=True)
class StatsSeen:
    """The stats as the creator reads them on their local date `today`."""

    points: int
    tasks_completed: int
    current_streak: int
    longest_streak: int
    last_active_on: datetime.date | None
    today: datetime.date


def stats_seen(stats, *, profile, now=None):
    """What a creator reads of their stats (a CreatorStats, or the stats a completion returned)
    at `now` (default: now), in their time zone (`profile`): the current streak derived by
    streak_current, the rest as stored. No query."""
    today = timezone.localdate(now or timezone.now(), timezone=profile.tzinfo)
    return StatsSeen(
        points=stats.points,
        tasks_completed=stats.tasks_completed,
        current_streak=streak_current(run=stats.current_streak, last_active_on=stats.last_active_on, today=today),
        longest_streak=stats.longest_streak,
        last_active_on=stats.last_active_on,
        today=today,
    )
