"""The due sweep: once per creator, kind and local date, across zone moves and missed minutes."""

import datetime

import pytest
from django_tasks_db.models import DBTaskResult

from accounts.models import CreatorStats
from accounts.services import profile_update
from reminders.models import ReminderClaim, ReminderKind, ReminderSchedule
from reminders.services import reminders_queue_due, reminders_sweep, schedule_sync
from reminders.tests.factories import creator_with_reminder

UTC = datetime.UTC
MAR_10 = datetime.date(2026, 3, 10)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def reminder_jobs():
    return list(DBTaskResult.objects.filter(task_path__endswith="send_reminder").values_list("args_kwargs", flat=True))


def reschedule(user, now):
    user.profile.refresh_from_db()
    return schedule_sync(user=user, profile=user.profile, now=now)


def daily(user):
    return ReminderSchedule.objects.get(user=user, kind=ReminderKind.DAILY)


@pytest.mark.django_db
def test_a_due_reminder_is_claimed_queued_and_moved_to_the_next_date_once():
    user = creator_with_reminder(timezone="Asia/Tokyo", at=datetime.time(9, 0), streak_nudge=False)
    reschedule(user, utc(2026, 3, 9, 23, 0))
    assert (daily(user).due_on, daily(user).due_at) == (MAR_10, utc(2026, 3, 10, 0, 0))

    assert reminders_queue_due(now=utc(2026, 3, 9, 23, 59)).queued == 0  # not yet
    first = reminders_queue_due(now=utc(2026, 3, 10, 0, 0, 20))
    second = reminders_queue_due(now=utc(2026, 3, 10, 0, 1))

    assert (first.queued, second.queued, first.lag_seconds) == (1, 0, [20.0])
    assert [job["args"] for job in reminder_jobs()] == [[user.pk, "daily", "2026-03-10"]]
    assert list(ReminderClaim.objects.values_list("local_date", flat=True)) == [MAR_10]
    assert (daily(user).due_on, daily(user).due_at) == (datetime.date(2026, 3, 11), utc(2026, 3, 11, 0, 0))


@pytest.mark.django_db
def test_a_schedule_pointing_at_a_claimed_date_queues_nothing_and_moves_on():
    """The claim is the last word: a schedule put back on a date already sent (a restore, a bug)
    sends nothing more."""
    user = creator_with_reminder(timezone="Asia/Tokyo", streak_nudge=False)
    reschedule(user, utc(2026, 3, 9, 23, 0))
    reminders_queue_due(now=utc(2026, 3, 10, 0, 0))
    ReminderSchedule.objects.filter(user=user).update(due_on=MAR_10, due_at=utc(2026, 3, 10, 0, 0))

    result = reminders_queue_due(now=utc(2026, 3, 10, 0, 5))

    assert (result.due, result.queued, len(reminder_jobs())) == (1, 0, 1)
    assert daily(user).due_on == datetime.date(2026, 3, 11)


@pytest.mark.django_db
def test_moving_west_on_the_day_does_not_live_the_date_twice():
    """Sent for 10 March in Tokyo, then moved to Los Angeles, where it is still 9 March: 10 March
    there gets no second reminder; the next is 11 March, 09:00 Los Angeles time."""
    user = creator_with_reminder(timezone="Asia/Tokyo", streak_nudge=False)
    reschedule(user, utc(2026, 3, 9, 23, 0))
    reminders_queue_due(now=utc(2026, 3, 10, 0, 0))

    profile_update(user=user, timezone="America/Los_Angeles")
    reschedule(user, utc(2026, 3, 10, 1, 0))
    assert daily(user).due_on == datetime.date(2026, 3, 11)  # the stored next-due skips the claimed date
    swept = [reminders_queue_due(now=utc(2026, 3, 10, hour, 0)).queued for hour in range(2, 24)]

    assert (daily(user).due_on, daily(user).due_at, daily(user).zone) == (
        datetime.date(2026, 3, 11), utc(2026, 3, 11, 16, 0), "America/Los_Angeles")
    assert sum(swept) == 0 and len(reminder_jobs()) == 1


@pytest.mark.django_db
def test_moving_east_on_the_day_counts_the_new_zones_date():
    """Sent for 10 March in Los Angeles (16:00 UTC); an hour later in Tokyo it is 11 March 02:00,
    and 11 March's reminder goes at 09:00 Tokyo time."""
    user = creator_with_reminder(timezone="America/Los_Angeles", streak_nudge=False)
    reschedule(user, utc(2026, 3, 10, 12, 0))
    reminders_queue_due(now=utc(2026, 3, 10, 16, 0))

    profile_update(user=user, timezone="Asia/Tokyo")
    reschedule(user, utc(2026, 3, 10, 17, 0))

    assert (daily(user).due_on, daily(user).due_at) == (datetime.date(2026, 3, 11), utc(2026, 3, 11, 0, 0))
    assert reminders_queue_due(now=utc(2026, 3, 11, 0, 0)).queued == 1
    assert sorted(ReminderClaim.objects.values_list("local_date", flat=True)) == [MAR_10, datetime.date(2026, 3, 11)]


@pytest.mark.django_db
def test_a_sweep_that_fell_behind_sends_todays_reminder_late_and_drops_yesterdays():
    user = creator_with_reminder(timezone="Europe/Berlin", streak_nudge=False)
    reschedule(user, utc(2026, 6, 1, 5, 0))
    assert daily(user).due_at == utc(2026, 6, 1, 7, 0)

    results = reminders_sweep(now=utc(2026, 6, 2, 12, 0))  # down from 1 June 06:00 to 2 June 12:00 UTC

    assert sum(r.queued for r in results) == 1
    assert list(ReminderClaim.objects.values_list("local_date", flat=True)) == [datetime.date(2026, 6, 2)]
    assert daily(user).due_on == datetime.date(2026, 6, 3)


@pytest.mark.django_db
def test_the_stored_next_due_follows_the_preference_and_turning_off_removes_it():
    user = creator_with_reminder(timezone="UTC", at=datetime.time(9, 0))
    assert set(ReminderSchedule.objects.filter(user=user).values_list("kind", "local_time")) == {
        ("daily", datetime.time(9, 0)), ("streak", datetime.time(20, 0))}

    profile_update(user=user, reminder_at=datetime.time(18, 45), streak_nudge=False)
    assert list(ReminderSchedule.objects.filter(user=user).values_list("kind", "local_time")) == [
        ("daily", datetime.time(18, 45))]

    profile_update(user=user, reminder_at=None)
    assert not ReminderSchedule.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_the_nudge_is_queued_only_for_a_streak_at_risk():
    at_risk = creator_with_reminder(timezone="UTC")
    safe = creator_with_reminder(timezone="UTC")
    CreatorStats.objects.filter(user=at_risk).update(current_streak=3, longest_streak=3, last_active_on=datetime.date(2026, 3, 9))
    CreatorStats.objects.filter(user=safe).update(current_streak=3, longest_streak=3, last_active_on=MAR_10)
    for user in (at_risk, safe):
        reschedule(user, utc(2026, 3, 10, 10, 0))

    result = reminders_queue_due(now=utc(2026, 3, 10, 20, 0))

    assert (result.due, result.queued) == (2, 1)
    assert list(ReminderClaim.objects.values_list("user_id", "kind")) == [(at_risk.pk, "streak")]


@pytest.mark.django_db
def test_the_sweep_reads_a_batch_in_a_constant_number_of_queries(django_assert_num_queries):
    users = [creator_with_reminder(timezone="UTC", streak_nudge=False) for _ in range(6)]
    for user in users:
        reschedule(user, utc(2026, 3, 10, 8, 0))

    # savepoint, lock (with profile and stats), claims read, claims, jobs, schedules, release
    with django_assert_num_queries(7):
        small = reminders_queue_due(now=utc(2026, 3, 10, 9, 0), batch_size=2)
    with django_assert_num_queries(7):
        big = reminders_queue_due(now=utc(2026, 3, 10, 9, 0), batch_size=4)
    assert (small.queued, big.queued) == (2, 4)


@pytest.mark.django_db
def test_the_audit_finds_a_next_due_that_does_not_match_the_zone_preference_or_claims():
    from reminders.selectors import schedule_breaches

    user = creator_with_reminder(timezone="America/New_York", streak_nudge=False)
    reschedule(user, utc(2026, 3, 7, 12, 0))
    reminders_queue_due(now=utc(2026, 3, 7, 14, 0))  # 7 March sent; 8 March is the spring-forward day
    assert schedule_breaches() == []

    ReminderSchedule.objects.filter(user=user).update(due_at=utc(2026, 3, 8, 14, 0))  # an hour off on the DST day
    assert [problem for _, problem in schedule_breaches()] == [
        "daily due 2026-03-08T14:00Z, expected 2026-03-08T13:00Z"]
    reschedule(user, utc(2026, 3, 7, 15, 0))
    ReminderSchedule.objects.filter(user=user).update(due_on=datetime.date(2026, 3, 7), due_at=utc(2026, 3, 7, 14, 0))
    assert [problem for _, problem in schedule_breaches()] == ["daily due on 2026-03-07, already claimed through 2026-03-07"]
    ReminderSchedule.objects.filter(user=user).delete()
    assert [problem for _, problem in schedule_breaches()] == ["schedules [] but preferences ask for ['daily']"]


@pytest.mark.django_db
def test_audit_integrity_reports_a_drifted_reminder_schedule():
    from ops.audit import audit

    user = creator_with_reminder(timezone="Europe/Berlin", streak_nudge=False)
    assert [b for b in audit() if b.check == "reminder_schedule_matches"] == []
    ReminderSchedule.objects.filter(user=user).update(zone="UTC")

    [breach] = [b for b in audit() if b.check == "reminder_schedule_matches"]
    assert breach.ids == {"user_id": user.pk} and "computed for UTC" in breach.detail
