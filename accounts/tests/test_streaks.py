"""The streak a creator reads breaks: 0 unless they completed a task today or yesterday in their
own time zone, on every surface, from one function, and reading never writes."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import streaks
from accounts.models import CreatorProfile, CreatorStats, Enrollment
from accounts.services import profile_update
from accounts.streaks import stats_seen, streak_current
from accounts.tests.factories import CreatorFactory
from core.testing.api import api_client_for
from milestones.models import MilestoneAchievement
from milestones.services import achievement_share
from ops import audit
from ops.repair import creator_repair
from tasks.services.completion import task_complete

UTC = datetime.timezone.utc
D = datetime.date


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz if isinstance(tz, datetime.tzinfo) else zoneinfo.ZoneInfo(tz))


def stats(run, last):
    return CreatorStats(points=0, tasks_completed=run, current_streak=run, longest_streak=max(run, 5),
                        last_active_on=last)


def profile(zone):
    return CreatorProfile(timezone=zone)


# --- the rule -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "last, today, shown",
    [
        (None, D(2026, 11, 27), 0),  # never active
        (D(2026, 11, 27), D(2026, 11, 27), 3),  # today
        (D(2026, 11, 26), D(2026, 11, 27), 3),  # yesterday: still alive, today is not over
        (D(2026, 11, 25), D(2026, 11, 27), 0),  # a whole day missed
        (D(2026, 11, 13), D(2026, 11, 27), 0),  # 14 days idle
        (D(2026, 11, 28), D(2026, 11, 27), 3),  # active "tomorrow": moved west across zones
    ],
)
def test_the_current_streak_is_the_run_while_its_last_day_is_today_or_yesterday(last, today, shown):
    assert streak_current(run=3, last_active_on=last, today=today) == shown


def test_the_longest_streak_is_kept_when_the_current_one_breaks():
    seen = stats_seen(stats(3, D(2026, 11, 1)), profile=profile("UTC"), now=at(2026, 11, 27, 12))
    assert (seen.current_streak, seen.longest_streak) == (0, 5)


@pytest.mark.parametrize(
    "last, now, shown",
    [
        # Spring forward (Mar 8, 23 hours): 04:30Z on Mar 9 is 00:30 EDT, Mar 9: Mar 7 is two days back.
        (D(2026, 3, 7), at(2026, 3, 9, 3, 30), 3),  # 23:30 EDT on Mar 8
        (D(2026, 3, 7), at(2026, 3, 9, 4, 30), 0),  # a fixed EST offset would still say Mar 8
        # Fall back (Nov 1, 25 hours): 04:30Z on Nov 2 is 23:30 EST on Nov 1: Oct 31 is yesterday.
        (D(2026, 10, 31), at(2026, 11, 2, 4, 30), 3),  # a fixed EDT offset would say Nov 2: broken
        (D(2026, 10, 31), at(2026, 11, 2, 5, 30), 0),  # 00:30 EST on Nov 2
    ],
)
def test_the_streak_breaks_at_local_midnight_on_both_sides_of_dst(last, now, shown):
    assert stats_seen(stats(3, last), profile=profile("America/New_York"), now=now).current_streak == shown


def test_a_zone_change_reads_the_streak_on_the_new_zones_today():
    last_active = stats(3, D(2026, 11, 26))  # active on Nov 26 in UTC
    noon = at(2026, 11, 27, 12)

    assert stats_seen(last_active, profile=profile("UTC"), now=noon).current_streak == 3  # yesterday
    assert stats_seen(last_active, profile=profile("Pacific/Kiritimati"), now=noon).current_streak == 0  # Nov 28 there
    assert stats_seen(last_active, profile=profile("Etc/GMT+12"), now=noon).current_streak == 3  # Nov 27 there


# --- every surface ----------------------------------------------------------------------------------

@pytest.fixture
def idle_creator(roadmap):
    """A UTC creator who completed days 1–3 on three days in a row, the last 14 days ago, and
    shared their 3-day streak milestone."""
    user = CreatorFactory(platform="youtube", timezone="UTC")
    now = timezone.now()
    Enrollment.objects.filter(user=user).update(started_on=timezone.localdate(now) - datetime.timedelta(days=16))
    for day in (1, 2, 3):
        task_complete(user=user, task_id=roadmap[day].pk, now=now - datetime.timedelta(days=17 - day))
    return user


def surfaces(user):
    """The current streak as each surface shows it."""
    api = api_client_for(user)
    client = Client()
    client.force_login(user)
    dashboard = client.get("/dashboard/").content.decode()
    achievement = MilestoneAchievement.objects.filter(user=user, milestone__code="streak-3").first()
    public = ""
    if achievement is not None:
        token = achievement_share(user=user, milestone_id=achievement.milestone_id).share_token
        public = Client().get(f"/m/{token}").content.decode()
    return {
        "me": api.get("/api/v1/me").json()["stats"]["current_streak"],
        "roadmap": api.get("/api/v1/roadmap").json()["current_streak"],
        "dashboard": '<span class="stat-value" id="stat-streak">0</span>' in dashboard,
        "calendar": "No streak running" in dashboard,
        "public": 'id="public-streak"' in public,
    }


@pytest.mark.django_db
def test_a_creator_14_days_idle_reads_0_everywhere_and_keeps_the_longest(idle_creator, roadmap):
    assert surfaces(idle_creator) == {"me": 0, "roadmap": 0, "dashboard": True, "calendar": True, "public": False}
    assert api_client_for(idle_creator).get("/api/v1/me").json()["stats"]["longest_streak"] == 3

    body = api_client_for(idle_creator).post(f"/api/v1/tasks/{roadmap[4].pk}/complete").json()

    assert (body["stats"]["current_streak"], body["stats"]["longest_streak"]) == (1, 3)  # a new run


@pytest.mark.django_db
def test_a_creator_active_yesterday_reads_the_run_everywhere(roadmap):
    user = CreatorFactory(platform="youtube", timezone="UTC")
    now = timezone.now()
    Enrollment.objects.filter(user=user).update(started_on=timezone.localdate(now) - datetime.timedelta(days=3))
    for day in (1, 2, 3):
        task_complete(user=user, task_id=roadmap[day].pk, now=now - datetime.timedelta(days=4 - day))

    shown = surfaces(user)

    assert (shown["me"], shown["roadmap"], shown["dashboard"], shown["calendar"], shown["public"]) == (3, 3, False, False, True)


@pytest.mark.django_db
def test_reading_the_streak_writes_nothing(idle_creator):
    before = CreatorStats.objects.filter(user=idle_creator).values().get()
    with CaptureQueriesContext(connection) as queries:
        surfaces(idle_creator)

    written = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "accounts_creatorstats" in q["sql"]]
    assert written == [] and CreatorStats.objects.filter(user=idle_creator).values().get() == before
    assert before["current_streak"] == 3  # the stored run, as the completions say


@pytest.mark.django_db
def test_the_audit_and_fix_agree_with_the_derived_streak(idle_creator):
    # The stored run of an idle creator is what their completions add up to: no breach, and
    # --fix leaves it (the reader derives 0 from it).
    assert audit.stats_mismatches() == []
    creator_repair(user_id=idle_creator.pk)
    stored = CreatorStats.objects.get(user=idle_creator)
    assert (stored.current_streak, stats_seen(stored, profile=idle_creator.profile).current_streak) == (3, 0)

    # Planted defect: a reader that "fixes" the idle streak by writing 0 back. The audit says
    # the stored run no longer matches the completions, and --fix restores it.
    CreatorStats.objects.filter(user=idle_creator).update(current_streak=0)
    (breach,) = audit.stats_mismatches()
    assert breach.detail == "current_streak 0 vs 3"
    creator_repair(user_id=idle_creator.pk)
    assert audit.stats_mismatches() == [] and CreatorStats.objects.get(user=idle_creator).current_streak == 3


@pytest.mark.django_db
def test_a_zone_change_moves_the_streak_with_the_creators_today(roadmap):
    user = CreatorFactory(platform="youtube", timezone="UTC")
    now = timezone.now()
    Enrollment.objects.filter(user=user).update(started_on=timezone.localdate(now) - datetime.timedelta(days=2))
    task_complete(user=user, task_id=roadmap[1].pk, now=now - datetime.timedelta(days=1))
    task_complete(user=user, task_id=roadmap[2].pk, now=now)
    api = api_client_for(user)

    assert api.get("/api/v1/me").json()["stats"]["current_streak"] == 2
    profile_update(user=user, timezone="Pacific/Kiritimati")
    kiritimati_today = timezone.localdate(now, timezone=zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    expected = 2 if kiritimati_today - timezone.localdate(now) <= datetime.timedelta(days=1) else 0
    assert api.get("/api/v1/me").json()["stats"]["current_streak"] == expected


# --- the check can fail -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_streak_read_from_the_stored_value_fails_the_idle_check(idle_creator, monkeypatch):
    """Planted defect: the surfaces show the stored run (the old behaviour): the 14-day idle
    creator reads 3 again on every surface, which the idle test forbids."""
    monkeypatch.setattr(streaks, "streak_current", lambda *, run, last_active_on, today: run)

    shown = surfaces(idle_creator)

    assert (shown["me"], shown["roadmap"], shown["dashboard"], shown["calendar"], shown["public"]) == (3, 3, False, False, True)
