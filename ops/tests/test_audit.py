import datetime
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import CreatorStats, Enrollment
from accounts.tests.factories import CreatorFactory
from billing.services.grants import entitlement_grant
from billing.tests.factories import EntitlementFactory
from core.catalog import catalogue_changed
from milestones.models import Celebration, Milestone, MilestoneAchievement
from ops import audit, audit_query, repair
from tasks.models import RoadmapTask
from tasks.services.completion import task_complete
from tasks.services.enrollments import platform_enroll, platform_leave
from tasks.tests.factories import roadmap_build
from usage.models import UsageCounter


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory()
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    for day in (1, 2):
        task_complete(user=user, task_id=roadmap[day].pk)
    return user


def checks(breaches):
    return sorted({b.check for b in breaches})


def at(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


def milestone_id(code):
    return Milestone.objects.get(code=code).pk


def achieved(user):
    return sorted(MilestoneAchievement.objects.filter(user=user).values_list("milestone__code", flat=True))


def enrollment_at(user, platform="youtube"):
    enrollment = Enrollment.objects.get(user=user, platform=platform)
    return enrollment.current_phase, enrollment.current_week


@pytest.mark.django_db
def test_a_consistent_database_has_no_breach(creator):
    assert audit.audit() == []
    call_command("audit_integrity")


@pytest.mark.django_db
def test_drifted_stats_are_fixed_without_granting_what_the_drift_crossed(creator):
    # Given 2 completions (32 points) whose stats drifted to 999 points and 7 tasks, and a lost achievement
    CreatorStats.objects.filter(user=creator).update(points=999, tasks_completed=7)
    MilestoneAchievement.objects.filter(user=creator).delete()

    # When the audit runs, then it names the stats and the achievement the completions earned
    found = audit.audit()
    assert checks(found) == ["crossed_threshold_has_achievement", "stats_equal_completions"]
    assert [b.ids["milestone_id"] for b in found if "milestone_id" in b.ids] == [milestone_id("tasks-1")]
    with pytest.raises(CommandError, match="integrity breach"):
        call_command("audit_integrity")

    # When --fix runs, then the stats are the completions' and only what they earned is granted
    call_command("audit_integrity", "--fix")

    stats = CreatorStats.objects.get(user=creator)
    assert (stats.points, stats.tasks_completed) == (32, 2)
    assert achieved(creator) == ["tasks-1"]  # not points-500 or tasks-5, which only the drift crossed
    assert Celebration.objects.filter(user=creator, achievement__milestone__code="tasks-1").exists()
    assert audit.audit() == []


@pytest.mark.django_db
def test_an_unearned_achievement_is_a_breach_for_a_person_and_the_fix_keeps_it_with_its_celebration(creator):
    unearned = MilestoneAchievement.objects.create(user=creator, milestone_id=milestone_id("points-500"),
                                                   achieved_at=timezone.now(), share_token="shared-token")
    Celebration.objects.create(user=creator, achievement=unearned)

    [breach] = audit.audit()
    assert (breach.check, breach.ids) == ("achievement_earned_by_completions",
                                          {"user_id": creator.pk, "milestone_id": unearned.milestone_id})
    assert "never revoked" in repair.for_a_person(breach)

    # --fix never revokes an achievement: it stays, with its celebration and its share link, and is still named
    with pytest.raises(CommandError, match="1 integrity breach"):
        call_command("audit_integrity", "--fix")
    assert achieved(creator) == ["points-500", "tasks-1"]
    assert Celebration.objects.filter(achievement_id=unearned.pk).exists()
    assert MilestoneAchievement.objects.get(pk=unearned.pk).share_token == "shared-token"


@pytest.mark.django_db
def test_an_achievement_of_a_retired_milestone_stays_if_the_completions_earned_it(creator):
    # Given tasks-1 (earned) and streak-3 (not) retired from the catalogue, both achieved
    streak = MilestoneAchievement.objects.create(user=creator, milestone_id=milestone_id("streak-3"),
                                                 achieved_at=timezone.now())
    Celebration.objects.create(user=creator, achievement=streak)
    Milestone.objects.filter(code__in=["tasks-1", "streak-3"]).update(is_active=False)
    catalogue_changed()

    # Then only the one the completions never crossed is a breach, and the fix keeps both
    assert [(b.check, b.ids["milestone_id"]) for b in audit.audit()] == [
        ("achievement_earned_by_completions", streak.milestone_id)]
    repair.repair(audit.audit())
    assert achieved(creator) == ["streak-3", "tasks-1"]


@pytest.mark.django_db
def test_streak_drift_is_a_breach_and_the_fix_replays_the_streak(catalogue, roadmap):
    # Given completions on Jan 1, 2 (twice), 3, then 6 and 7: a 3-day run, then a 2-day one
    user = CreatorFactory()
    Enrollment.objects.filter(user=user).update(created_at=at(2025, 12, 31))
    for day, (month_day, hour) in enumerate([(1, 9), (2, 9), (2, 20), (3, 9), (6, 9), (7, 9)], start=1):
        task_complete(user=user, task_id=roadmap[day].pk, now=at(2026, 1, month_day, hour))
    assert audit.audit() == []
    # When the streak columns drift (the totals stay right)
    CreatorStats.objects.filter(user=user).update(current_streak=1, longest_streak=9,
                                                  last_active_on=datetime.date(2026, 1, 5))

    [breach] = audit.audit()
    assert breach.check == "stats_equal_completions"
    assert breach.detail == "current_streak 1 vs 2, longest_streak 9 vs 3, last_active_on 2026-01-05 vs 2026-01-07"

    call_command("audit_integrity", "--fix")
    stats = CreatorStats.objects.get(user=user)
    assert (stats.current_streak, stats.longest_streak, stats.last_active_on) == (2, 3, datetime.date(2026, 1, 7))
    assert "streak-3" in achieved(user)


@pytest.mark.django_db
def test_enrollment_week_drift_is_fixed_forward_and_never_moved_back(catalogue, roadmap):
    # Given a creator who finished week 1 (days 1-7): the hot path moved them to week 2
    user = CreatorFactory()
    Enrollment.objects.filter(user=user).update(created_at=at(2025, 12, 31))
    for day in range(1, 8):
        task_complete(user=user, task_id=roadmap[day].pk, now=at(2026, 1, day, 9))
    assert enrollment_at(user) == (1, 2) and audit.audit() == []

    # When their enrollment drifts behind, then the fix moves it forward to where the completions took it
    Enrollment.objects.filter(user=user).update(current_phase=1, current_week=1)
    [breach] = audit.audit()
    assert (breach.check, breach.ids) == ("enrollment_week_follows_completions", {"user_id": user.pk, "platform": "youtube"})
    call_command("audit_integrity", "--fix")
    assert enrollment_at(user) == (1, 2)

    # When it drifts ahead (and the stats too, so the creator is repaired), then it is named for a
    # person and the repair does not move it back
    Enrollment.objects.filter(user=user).update(current_phase=2, current_week=3)
    CreatorStats.objects.filter(user=user).update(points=1)
    assert checks(audit.audit()) == ["enrollment_week_ahead_of_completions", "stats_equal_completions"]
    repair.repair(audit.audit())
    [breach] = audit.audit()
    assert breach.check == "enrollment_week_ahead_of_completions" and repair.for_a_person(breach)
    assert enrollment_at(user) == (2, 3)


@pytest.mark.django_db
def test_a_roadmap_finished_out_of_order_stays_at_the_week_closed_last(catalogue):
    # Given three one-task weeks, completed in the order week 1, week 3, week 2 (found by the
    # property test against an audit query that forgot that a finished roadmap moves no more)
    user = CreatorFactory()
    entitlement_grant(user=user, plan_code="studio")
    tasks = roadmap_build("tiktok", days=[1, 8, 31])
    platform_enroll(user=user, platform="tiktok")
    for day in (1, 31, 8):
        task_complete(user=user, task_id=tasks[day].pk)

    # Then the hot path left it at week 2 (no week was open after its last completion): no breach
    assert enrollment_at(user, "tiktok") == (1, 2)
    assert audit.audit() == []


@pytest.mark.django_db
def test_a_roadmap_followed_again_restarts_at_week_1_without_a_breach(catalogue, roadmap):
    # Given a creator who finished week 1 of TikTok, left it and followed it again
    user = CreatorFactory()
    entitlement_grant(user=user, plan_code="studio")
    tiktok = roadmap_build("tiktok", days=range(1, 9))
    platform_enroll(user=user, platform="tiktok")
    for day in range(1, 8):
        task_complete(user=user, task_id=tiktok[day].pk)
    assert enrollment_at(user, "tiktok") == (1, 2)
    platform_leave(user=user, platform="tiktok")
    platform_enroll(user=user, platform="tiktok")

    # Then the new enrollment at week 1 is what the hot path leaves: no breach, and the fix keeps it
    assert enrollment_at(user, "tiktok") == (1, 1)
    assert audit.audit() == []
    assert repair.replay_of(user_id=user.pk).positions["tiktok"] == (1, 1)


@pytest.mark.django_db
def test_after_a_task_is_retired_the_audit_and_the_fix_agree_on_the_current_catalogue(creator, roadmap):
    # Given the creator's completed day 2 and every other task of week 1 retired, except day 3
    RoadmapTask.objects.filter(day__in=[4, 5, 6, 7]).update(is_active=False)
    RoadmapTask.objects.filter(day=2).update(is_active=False)
    catalogue_changed()

    # When the audit runs, then it reports what the current catalogue changes, and the fix makes it hold
    assert checks(audit.audit()) == []
    task_complete(user=creator, task_id=roadmap[3].pk)  # closes week 1 as it is now
    assert enrollment_at(creator) == (1, 2)
    Enrollment.objects.filter(user=creator).update(current_week=1)
    assert checks(audit.audit()) == ["enrollment_week_follows_completions"]
    call_command("audit_integrity", "--fix")
    assert enrollment_at(creator) == (1, 2) and audit.audit() == []


@pytest.mark.django_db
def test_an_achievement_without_celebration_is_a_breach(creator):
    Celebration.objects.filter(user=creator).delete()
    assert checks(audit.audit()) == ["achievement_has_celebration"]


@pytest.mark.django_db
def test_a_counter_above_the_free_limit_is_a_breach_unless_the_plan_changed_in_the_period(creator):
    counter = UsageCounter.objects.create(user=creator, feature="ideas", period_start=datetime.date.today(),
                                          starts_at=timezone.now() - datetime.timedelta(hours=19),
                                          resets_at=timezone.now() + datetime.timedelta(hours=5), used=6)
    assert [b.ids["counter_id"] for b in audit.audit()] == [counter.pk]

    # A downgrade during the period keeps what was used: not a breach.
    EntitlementFactory(user=creator, plan_id="free", status="canceled")
    assert audit.audit() == []


@pytest.mark.django_db
def test_a_paid_entitlement_without_its_subscription_is_a_breach(creator):
    EntitlementFactory(user=creator, plan_id="pro", source="stripe", stripe_subscription_id="sub_gone")
    [breach] = audit.audit()
    assert breach.check == "paid_entitlement_has_subscription" and "sub_gone" in breach.detail


@pytest.mark.django_db
def test_ops_see_breaches_and_repair_them_from_the_integrity_page(creator, ops):
    from django.test import Client

    CreatorStats.objects.filter(user=creator).update(points=1)
    MilestoneAchievement.objects.create(user=creator, milestone_id=milestone_id("points-500"), achieved_at=timezone.now())
    Enrollment.objects.filter(user=creator).update(current_phase=2)

    page = ops.get("/admin/integrity/").content.decode()
    for check in ["stats_equal_completions", "achievement_earned_by_completions", "achievement_has_celebration",
                  "enrollment_week_ahead_of_completions"]:
        assert check in page
    assert "Re-derive from the completions" in page and "never revoked" in page

    done = ops.post("/admin/integrity/", follow=True).content.decode()
    assert "Repaired 1 creator(s)." in done
    # What a person decides stays, named: the unearned achievement (celebrated now) and the week ahead
    assert "stats_equal_completions" not in done and "achievement_has_celebration" not in done
    assert "achievement_earned_by_completions" in done and "enrollment_week_ahead_of_completions" in done
    assert achieved(creator) == ["points-500", "tasks-1"] and enrollment_at(creator) == (2, 1)
    assert Client().get("/admin/integrity/").status_code == 302  # staff only


@pytest.mark.postgres(reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_audit_queries_outlast_the_request_statement_timeout():
    """A check at 1,000,000 creators runs for tens of seconds: the requests' statement timeout
    (here 1 ms for the session) must not cancel the audit's queries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")
    try:
        assert audit_query.rows("SELECT pg_sleep(0.05) IS NULL AS slept") == [{"slept": False}]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


@pytest.mark.django_db
def test_the_integrity_page_refuses_rather_than_outlast_its_budget(ops, monkeypatch):
    """A budget spent before the checks are done: the page says so and names the command,
    with no half answer (the checks not run could hide a breach)."""
    monkeypatch.setattr("ops.views.PAGE_AUDIT_SECONDS", 0)

    response = ops.get("/admin/integrity/")

    assert response.status_code == 503
    page = response.content.decode()
    assert "takes longer than a page can wait" in page and "manage.py audit_integrity" in page
    assert "No breach" not in page


@pytest.mark.postgres(reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_check_running_past_the_page_budget_is_cancelled_by_postgresql(ops, monkeypatch):
    """At 1,000,000 creators the audit takes about 80 s and gunicorn kills a worker after 30 s:
    the check still running when the budget ends is cancelled by its statement timeout (here a
    check sleeping 5 s against a 0.3 s budget), and the page answers within the budget."""
    def slow_check():
        audit_query.rows("SELECT pg_sleep(5)")
        return []

    monkeypatch.setattr(audit, "CHECKS", [slow_check])
    monkeypatch.setattr("ops.views.PAGE_AUDIT_SECONDS", 0.3)

    started = time.monotonic()
    response = ops.get("/admin/integrity/")

    assert response.status_code == 503 and "takes longer than a page can wait" in response.content.decode()
    assert time.monotonic() - started < 2
