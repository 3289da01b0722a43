"""When a reminder is due: the creator's wall clock turned into a UTC instant. Pure functions.

A local time is a wall-clock reading in the creator's zone. On a fall-back day the reading
happens twice: the reminder goes at the first (fold=0), and once, because the next one is
computed for the next date. On a spring-forward day a reading inside the missing hour never
happens: the reminder goes at the first minute the clock shows after it (02:30 in New York on
the March change goes at 03:00). The next date is never one that was already claimed, so a time
zone move that lives a date again does not send it twice.
"""

import datetime
import zoneinfo

UTC = datetime.UTC
# The streak-at-risk nudge goes at 20:00 local: late enough that the day's work is usually done,
# early enough to do a task before midnight.
NUDGE_AT = datetime.time(20, 0)
_DAY_MINUTES = 24 * 60


def zone_of(name):
    return zoneinfo.ZoneInfo(name)


def _exists(wall, zone):
    """Whether the clock in `zone` reads `wall` (a naive datetime) at some instant."""
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def wall_instant(day, at, zone):
    """The UTC instant the creator's clock in `zone` first reads `at` on `day`, or, when that
    reading falls in a spring-forward gap, the first minute after it that the clock reads."""
    wall = datetime.datetime.combine(day, at)
    for minute in range(_DAY_MINUTES):
        candidate = wall + datetime.timedelta(minutes=minute)
        if _exists(candidate, zone):
            return candidate.replace(tzinfo=zone).astimezone(UTC)
    raise ValueError(f"{zone} skips all of {day}")


def next_due(*, at, zone, now, not_before=None):
    """(local date, UTC instant) of the next reminder at local time `at` in `zone`: the first
    date from `not_before` (default: the local date at `now`) whose instant is not before the
    current minute. The local date is the one the reminder is for (its claim)."""
    day = now.astimezone(zone).date()
    if not_before is not None and not_before > day:
        day = not_before
    minute = now.replace(second=0, microsecond=0)
    while (instant := wall_instant(day, at, zone)) < minute:
        day += datetime.timedelta(days=1)
    return day, instant


def today_due(*, at, zone, now):
    """(local date, UTC instant) of today's reminder in `zone`, even if its instant has passed:
    what a sweep that fell behind still sends today (yesterday's it drops)."""
    day = now.astimezone(zone).date()
    return day, wall_instant(day, at, zone)
