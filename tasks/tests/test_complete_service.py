import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from accounts.models import CreatorStats, Enrollment
from accounts.tests.factories import CreatorFactory
from billing.models import EntitlementStatus
from billing.tests.factories import EntitlementFactory
from core.errors import InvalidInput, NotFound, PlanRequired
from core.faults import InjectedFault, count_writes, fail_after_write, table_of
from core.testing.jobs import queued_job_names
from milestones.models import Celebration, MilestoneAchievement
from milestones.tests.factories import MilestoneFactory
from tasks.models import TaskCompletion
from tasks.services.completion import task_complete
from tasks.tests.factories import RoadmapTaskFactory

UTC = datetime.timezone.utc


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz if isinstance(tz, datetime.tzinfo) else zoneinfo.ZoneInfo(tz))


@pytest.fixture
def creator(catalogue):
    user = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date(2026, 1, 1))
    return user


def stats_of(user):
    return CreatorStats.objects.get(user=user)


@pytest.mark.django_db
def test_first_completion_scores_counts_streaks_and_unlocks_the_first_milestone(creator, roadmap):
    result = task_complete(user=creator, task_id=roadmap[1].pk, quality=4, notes="Filmed it", now=at(2026, 1, 1, 12))

    assert result.created is True
    assert (result.completion.points, result.completion.notes, result.completion.local_date) == (18, "Filmed it", datetime.date(2026, 1, 1))
    stats = stats_of(creator)
    assert (stats.points, stats.tasks_completed, stats.current_streak, stats.longest_streak) == (18, 1, 1, 1)
    assert stats.last_active_on == datetime.date(2026, 1, 1)
    assert [a.milestone.code for a in result.new_achievements] == ["tasks-1"]
    assert [c.milestone.code for c in result.pending_celebrations] == ["tasks-1"]
    assert Celebration.objects.filter(user=creator, seen_at__isnull=True).count() == 1
    assert queued_job_names()[-1:] == ["send_milestone_email"]


@pytest.mark.django_db
def test_quality_defaults_to_3_for_16_points(creator, roadmap):
    result = task_complete(user=creator, task_id=roadmap[1].pk, now=at(2026, 1, 1, 12))
    assert (result.completion.quality, result.completion.points) == (3, 16)


@pytest.mark.django_db
def test_a_repeat_returns_the_first_completion_and_changes_nothing(creator, roadmap):
    first = task_complete(user=creator, task_id=roadmap[1].pk, quality=5, now=at(2026, 1, 1, 12))

    before = _snapshot(creator)
    jobs_before = queued_job_names()

    with count_writes() as writes:
        repeat = task_complete(user=creator, task_id=roadmap[1].pk, quality=1, notes="again", now=at(2026, 1, 2, 12))

    assert repeat.created is False and repeat.completion.pk == first.completion.pk
    assert repeat.completion.quality == 5 and repeat.new_achievements == []
    # The one write statement is the completion's INSERT … ON CONFLICT DO NOTHING, which
    # inserted nothing: the unique constraint tells the repeat apart.
    assert [table_of(sql) for sql in writes] == ["tasks_taskcompletion"] and queued_job_names() == jobs_before
    assert _snapshot(creator) == before
    stats = stats_of(creator)
    assert (stats.points, stats.tasks_completed, stats.current_streak) == (20, 1, 1)
    assert TaskCompletion.objects.get(user=creator, task=roadmap[1]).notes == ""


@pytest.mark.django_db
def test_no_milestone_email_when_the_creator_opted_out(creator, roadmap):
    creator.profile.__class__.objects.filter(user=creator).update(milestone_emails=False)
    creator.profile.refresh_from_db()

    result = task_complete(user=creator, task_id=roadmap[1].pk, now=at(2026, 1, 1, 12))

    assert result.new_achievements and "send_milestone_email" not in queued_job_names()


@pytest.mark.django_db
def test_free_plan_stops_at_day_30(creator, roadmap):
    task_complete(user=creator, task_id=roadmap[30].pk, now=at(2026, 1, 1, 12))

    with pytest.raises(PlanRequired) as refused:
        task_complete(user=creator, task_id=roadmap[31].pk, now=at(2026, 1, 1, 12))

    assert refused.value.code == "plan_required" and refused.value.extra["plan"] == "free"
    assert TaskCompletion.objects.filter(user=creator).count() == 1 and stats_of(creator).tasks_completed == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status, period_end_days, allowed",
    [
        (EntitlementStatus.ACTIVE, None, True),
        (EntitlementStatus.TRIALING, 10, True),
        (EntitlementStatus.PAST_DUE, 3, True),  # keeps access until the paid period ends
        (EntitlementStatus.PAST_DUE, -1, False),
        (EntitlementStatus.ACTIVE, -1, True),  # period over a day ago: within the renewal grace window
        (EntitlementStatus.ACTIVE, -3, False),  # period over and not renewed
        (EntitlementStatus.CANCELED, 10, False),
        (EntitlementStatus.UNPAID, 10, False),
    ],
)
def test_a_paid_plan_opens_day_31_only_while_it_counts(creator, roadmap, status, period_end_days, allowed):
    now = at(2026, 2, 1, 12)
    end = None if period_end_days is None else now + datetime.timedelta(days=period_end_days)
    # past_due: `end` is the last period paid for (from Payments), the unpaid one runs 30 days more
    unpaid_end = end + datetime.timedelta(days=30) if status == EntitlementStatus.PAST_DUE else end
    EntitlementFactory(user=creator, plan_id="pro", status=status, current_period_end=unpaid_end, paid_through=end)

    if allowed:
        assert task_complete(user=creator, task_id=roadmap[31].pk, now=now).created
    else:
        with pytest.raises(PlanRequired):
            task_complete(user=creator, task_id=roadmap[31].pk, now=now)


@pytest.mark.django_db
def test_a_task_of_a_platform_the_creator_does_not_follow_is_not_found(creator, catalogue):
    tiktok_task = RoadmapTaskFactory(platform="tiktok", day=1)
    with pytest.raises(NotFound):
        task_complete(user=creator, task_id=tiktok_task.pk)
    with pytest.raises(NotFound):
        task_complete(user=creator, task_id=999999)
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("quality, notes, field", [(0, "", "quality"), (6, "", "quality"), ("5", "", "quality"), (3, "x" * 2001, "notes")])
def test_bad_input_is_refused_and_writes_nothing(creator, roadmap, quality, notes, field):
    with pytest.raises(InvalidInput) as refused:
        task_complete(user=creator, task_id=roadmap[1].pk, quality=quality, notes=notes)
    assert field in refused.value.fields
    assert not TaskCompletion.objects.exists() and stats_of(creator).points == 0


# --- streaks, in the creator's time zone ----------------------------------------------------

def _counters(stats):
    return stats.points, stats.tasks_completed, stats.current_streak, stats.longest_streak, stats.last_active_on


def _streak_after(creator, roadmap, moments):
    for day, moment in enumerate(moments, start=1):
        result = task_complete(user=creator, task_id=roadmap[day].pk, now=moment)
        # The service derives the stats it returns from the locked row: they are what was stored.
        assert _counters(result.stats) == _counters(stats_of(creator))
    stats = stats_of(creator)
    return stats.current_streak, stats.longest_streak, stats.last_active_on


@pytest.mark.django_db
def test_same_day_keeps_the_streak_next_day_extends_it(creator, roadmap):
    assert _streak_after(creator, roadmap, [at(2026, 1, 1, 9), at(2026, 1, 1, 20), at(2026, 1, 2, 8)]) == (2, 2, datetime.date(2026, 1, 2))


@pytest.mark.django_db
def test_a_missed_day_restarts_the_streak_and_keeps_the_longest(creator, roadmap):
    moments = [at(2026, 1, 1, 9), at(2026, 1, 2, 9), at(2026, 1, 3, 9), at(2026, 1, 5, 9)]
    assert _streak_after(creator, roadmap, moments) == (1, 3, datetime.date(2026, 1, 5))


@pytest.mark.django_db
def test_streak_follows_midnight_in_the_creators_time_zone_not_the_servers(creator, roadmap):
    creator.profile.__class__.objects.filter(user=creator).update(timezone="Asia/Tokyo")
    creator.profile.refresh_from_db()
    # 14:30 and 15:30 UTC on the same UTC date are 23:30 and 00:30 in Tokyo: two local days.
    assert _streak_after(creator, roadmap, [at(2026, 1, 1, 14, 30), at(2026, 1, 1, 15, 30)]) == (2, 2, datetime.date(2026, 1, 2))


@pytest.mark.django_db
def test_two_utc_dates_can_be_one_local_day(creator, roadmap):
    creator.profile.__class__.objects.filter(user=creator).update(timezone="America/Los_Angeles")
    creator.profile.refresh_from_db()
    # 20:00 on Jan 1 and 06:00 on Jan 2 UTC are both Jan 1 in Los Angeles.
    assert _streak_after(creator, roadmap, [at(2026, 1, 1, 20), at(2026, 1, 2, 6)]) == (1, 1, datetime.date(2026, 1, 1))


@pytest.mark.django_db
def test_streak_survives_a_dst_change(creator, roadmap):
    creator.profile.__class__.objects.filter(user=creator).update(timezone="America/New_York")
    creator.profile.refresh_from_db()
    # New York springs forward on 2026-03-08: 23:30 EST then 23:30 EDT the next day is 23 hours
    # later, and 00:10 forty minutes on is already the next local day.
    moments = [at(2026, 3, 7, 23, 30, tz="America/New_York"), at(2026, 3, 8, 23, 30, tz="America/New_York"), at(2026, 3, 9, 0, 10, tz="America/New_York")]
    assert _streak_after(creator, roadmap, moments) == (3, 3, datetime.date(2026, 3, 9))


# --- phases, weeks and milestones ------------------------------------------------------------

@pytest.mark.django_db
def test_finishing_a_week_moves_the_enrollment_to_the_next(creator, roadmap):
    for day in range(1, 7):
        task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    assert Enrollment.objects.values_list("current_phase", "current_week").get(user=creator) == (1, 1)

    task_complete(user=creator, task_id=roadmap[7].pk, now=at(2026, 1, 7, 9))

    assert Enrollment.objects.values_list("current_phase", "current_week").get(user=creator) == (1, 2)


@pytest.mark.django_db
def test_finishing_phase_1_unlocks_its_milestone_and_moves_to_phase_2(creator, roadmap):
    for day in range(1, 31):
        result = task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))

    codes = {a.milestone.code for a in result.new_achievements}
    assert "phase-1" in codes and "streak-30" in codes
    assert Enrollment.objects.values_list("current_phase", "current_week").get(user=creator) == (2, 1)
    achieved = set(MilestoneAchievement.objects.filter(user=creator).values_list("milestone__code", flat=True))
    assert {"tasks-1", "tasks-5", "tasks-10", "tasks-25", "streak-3", "streak-7", "streak-14", "streak-30", "phase-1", "points-100"} <= achieved
    assert "points-500" not in achieved  # 30 tasks x 16 points = 480
    assert Celebration.objects.filter(user=creator).count() == len(achieved)


# --- atomicity and cost ------------------------------------------------------------------------

def _snapshot(user):
    stats = stats_of(user)
    enrollment = Enrollment.objects.get(user=user)
    return {
        "completions": TaskCompletion.objects.count(),
        "achievements": MilestoneAchievement.objects.count(),
        "celebrations": Celebration.objects.count(),
        "jobs": DBTaskResult.objects.count(),
        "stats": (stats.points, stats.tasks_completed, stats.current_streak, stats.longest_streak, stats.last_active_on),
        "enrollment": (enrollment.current_phase, enrollment.current_week),
    }


@pytest.mark.django_db
def test_the_week_closing_completion_writes_every_table(creator, roadmap):
    for day in range(1, 7):
        task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    with count_writes() as writes:
        task_complete(user=creator, task_id=roadmap[7].pk, now=at(2026, 1, 7, 9))
    tables = [table_of(sql) for sql in writes]
    assert tables == [
        "tasks_taskcompletion", "accounts_creatorstats", "accounts_enrollment",
        "milestones_milestoneachievement", "milestones_celebration", "django_tasks_database_dbtaskresult",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("failing_write", [1, 2, 3, 4, 5, 6])
def test_a_failure_after_any_write_leaves_nothing_of_that_completion(creator, roadmap, failing_write):
    # Day 7 crosses the 7-day streak: write 6 is the milestone email's job (the outbox).
    for day in range(1, 7):
        task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    before, jobs_before = _snapshot(creator), queued_job_names()

    with pytest.raises(InjectedFault):
        with fail_after_write(failing_write):
            task_complete(user=creator, task_id=roadmap[7].pk, now=at(2026, 1, 7, 9))

    assert _snapshot(creator) == before
    assert queued_job_names() == jobs_before


def _completion_queries(creator, roadmap, day):
    # Another creator's completion first: the process reads the catalogue once per version.
    task_complete(user=_fresh_creator(), task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    with CaptureQueriesContext(connection) as queries:
        task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    return [query["sql"] for query in queries]


def _fresh_creator():
    user = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date(2026, 1, 1))
    return user


@pytest.mark.django_db
def test_completion_query_count_is_the_same_with_5_or_50_milestones(roadmap):
    from milestones.models import Milestone

    Milestone.objects.exclude(code__in=["tasks-1", "tasks-5", "streak-3", "points-100", "phase-1"]).delete()
    with_5 = _completion_queries(_fresh_creator(), roadmap, 1)  # unlocks tasks-1

    for threshold in range(1, 46):  # quality 3 gives 16 points: 16 of these are crossed at once
        MilestoneFactory(kind="points", threshold=threshold)
    assert Milestone.objects.count() == 50
    creator = _fresh_creator()
    with_50 = _completion_queries(creator, roadmap, 1)

    assert MilestoneAchievement.objects.filter(user=creator).count() == 17
    # SAVEPOINT … RELEASE (the test's stand-in for BEGIN … COMMIT); catalogue version (tasks,
    # milestones and plans come from the process's copy); stats FOR UPDATE joined to the
    # enrollment; INSERT completion … ON CONFLICT DO NOTHING; stats UPDATE; completed task ids
    # (week/phase progress); INSERT achievements; re-read them; INSERT celebrations; INSERT the
    # milestone email's job (the outbox: inside the transaction); pending celebrations. Four fewer
    # when no milestone is crossed; one more (the entitlement) for a day beyond the free plan's 30.
    assert len(with_5) == len(with_50) == 12


@pytest.mark.django_db
def test_completion_query_count_without_milestones_and_beyond_day_30(roadmap):
    creator = _fresh_creator()
    EntitlementFactory(user=creator)
    task_complete(user=creator, task_id=roadmap[1].pk, now=at(2026, 1, 1, 9))  # tasks-1

    counts = []
    for day in (2, 31):  # neither crosses a milestone
        with CaptureQueriesContext(connection) as queries:
            task_complete(user=creator, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
        counts.append(len(queries))

    assert counts == [8, 9]
