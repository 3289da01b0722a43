"""The wall clock turned into instants: DST both ways, east and west of UTC. Pure."""

import datetime

import pytest

from reminders.schedule import next_due, today_due, wall_instant, zone_of

UTC = datetime.UTC


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # West of UTC, spring forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 never happens, 03:00 EDT does.
        ("America/New_York", datetime.date(2026, 3, 8), datetime.time(2, 30), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime.date(2026, 3, 8), datetime.time(2, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime.date(2026, 3, 8), datetime.time(3, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime.date(2026, 3, 8), datetime.time(1, 45), utc(2026, 3, 8, 6, 45)),
        # Fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice, the first is EDT.
        ("America/New_York", datetime.date(2026, 11, 1), datetime.time(1, 30), utc(2026, 11, 1, 5, 30)),
        # East of UTC, spring forward 2026-03-29 02:00 CET -> 03:00 CEST.
        ("Europe/Berlin", datetime.date(2026, 3, 29), datetime.time(2, 15), utc(2026, 3, 29, 1, 0)),
        # Fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 twice, the first is CEST (00:30 UTC).
        ("Europe/Berlin", datetime.date(2026, 10, 25), datetime.time(2, 30), utc(2026, 10, 25, 0, 30)),
        # Far east, southern hemisphere: Sydney springs forward 2026-10-04 02:00 -> 03:00 AEDT (UTC+11).
        ("Australia/Sydney", datetime.date(2026, 10, 4), datetime.time(2, 45), utc(2026, 10, 3, 16, 0)),
        # A 30-minute change: Lord Howe 2026-10-04 02:00 -> 02:30 (UTC+11).
        ("Australia/Lord_Howe", datetime.date(2026, 10, 4), datetime.time(2, 15), utc(2026, 10, 3, 15, 30)),
        ("Asia/Kolkata", datetime.date(2026, 3, 8), datetime.time(9, 0), utc(2026, 3, 8, 3, 30)),
    ],
)
def test_the_wall_clock_reading_becomes_its_first_real_instant(zone, day, at, expected):
    assert wall_instant(day, at, zone_of(zone)) == expected


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_a_fall_back_day_has_one_reminder_at_a_doubled_time(zone):
    """Walking minute by minute through the fall-back night, the doubled 01:30/02:30 is due once."""
    tz = zone_of(zone)
    day = datetime.date(2026, 11, 1) if zone == "America/New_York" else datetime.date(2026, 10, 25)
    at = datetime.time(1, 30) if zone == "America/New_York" else datetime.time(2, 30)
    now, due = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz).astimezone(UTC), []
    not_before = None
    for _ in range(6 * 60):
        due_on, instant = next_due(at=at, zone=tz, now=now, not_before=not_before)
        if instant <= now:
            due.append(now)
            not_before = due_on + datetime.timedelta(days=1)
        now += datetime.timedelta(minutes=1)
    assert len(due) == 1


def test_the_next_reminder_is_today_until_its_minute_has_passed_then_tomorrow():
    tz = zone_of("Asia/Tokyo")
    at = datetime.time(9, 0)
    assert next_due(at=at, zone=tz, now=utc(2026, 3, 9, 23, 59, 59)) == (datetime.date(2026, 3, 10), utc(2026, 3, 10, 0, 0))
    assert next_due(at=at, zone=tz, now=utc(2026, 3, 10, 0, 0, 30)) == (datetime.date(2026, 3, 10), utc(2026, 3, 10, 0, 0))
    assert next_due(at=at, zone=tz, now=utc(2026, 3, 10, 0, 1)) == (datetime.date(2026, 3, 11), utc(2026, 3, 11, 0, 0))


def test_a_claimed_date_is_never_due_again_after_a_move_west():
    """Tokyo's 10 March was sent; moved to Los Angeles it is 9 March there, and 10 March's
    reminder is not due again: the next is 11 March."""
    la = zone_of("America/Los_Angeles")
    due_on, instant = next_due(at=datetime.time(9, 0), zone=la, now=utc(2026, 3, 10, 1, 0),
                               not_before=datetime.date(2026, 3, 11))
    assert due_on == datetime.date(2026, 3, 11)
    assert instant == utc(2026, 3, 11, 16, 0)  # 09:00 PDT


def test_today_is_due_even_when_its_minute_passed():
    tz = zone_of("Europe/Berlin")
    assert today_due(at=datetime.time(9, 0), zone=tz, now=utc(2026, 6, 1, 12, 0)) == (
        datetime.date(2026, 6, 1), utc(2026, 6, 1, 7, 0))
