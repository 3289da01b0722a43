"""The repair cannot corrupt: for random histories of completions made through the hot path,
with random content edits between them (a task added, retired or moved, a milestone added, then
the grant load_content runs), the audit finds nothing; after random drift of everything derived
from them, it names exactly what drifted (no more, no less), and audit_integrity --fix brings
back the state the hot path wrote (the clean replay of the completions) without taking anything
earned or reached away: what it cannot decide (an unearned achievement, a week ahead) stays, named.

CI runs a fixed, derandomized budget; `bench/repair_fuzz.py --examples N` runs more.
"""

import collections
import contextlib
import dataclasses
import datetime
import os

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import CreatorProfile, CreatorStats, Enrollment
from accounts.services import StatsTally
from accounts.tests.factories import CreatorFactory
from billing.services.grants import entitlement_grant
from core.catalog import catalogue_changed
from core.errors import NotFound
from milestones.models import (
    Celebration,
    Milestone,
    MilestoneAchievement,
    MilestoneKind,
)
from milestones.tests.factories import MilestoneFactory
from ops import audit, repair
from ops.grants import milestones_grant_crossed
from ops.repair import creator_repair
from ops.replay import START
from tasks.models import RoadmapTask, phase_and_week
from tasks.services.completion import task_complete
from tasks.services.enrollments import platform_enroll, platform_leave
from tasks.tests.factories import RoadmapTaskFactory, roadmap_build

DERIVED_CHECKS = ["stats_equal_completions", "crossed_threshold_has_achievement", "achievement_earned_by_completions",
                  "achievement_has_celebration", "enrollment_week_follows_completions",
                  "enrollment_week_ahead_of_completions"]
EXAMPLES = int(os.environ.get("REPAIR_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # CI runs the same examples every time; the bench (REPAIR_FUZZ_EXAMPLES set) explores new ones.
    derandomize="REPAIR_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=list(HealthCheck),
)
START_AT = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone.utc)
# UTC+14 and UTC-11: moving between them moves the local date a day back or forward.
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@dataclasses.dataclass(frozen=True)
class State:
    """Everything derived from a creator's completions."""

    stats: StatsTally
    achievements: dict  # milestone id -> achieved_at
    celebrated: frozenset  # milestone ids whose achievement has its celebration
    positions: dict  # platform -> (phase, week)


def state_of(user):
    stats = CreatorStats.objects.get(user=user)
    return State(
        stats=StatsTally(**{f.name: getattr(stats, f.name) for f in dataclasses.fields(StatsTally)}),
        achievements=dict(MilestoneAchievement.objects.filter(user=user).values_list("milestone_id", "achieved_at")),
        celebrated=frozenset(Celebration.objects.filter(user=user).values_list("achievement__milestone_id", flat=True)),
        positions={e.platform: (e.current_phase, e.current_week) for e in Enrollment.objects.filter(user=user)},
    )


def state_replayed(replay):
    return State(replay.stats, replay.achievements, frozenset(replay.achievements), replay.positions)


def positions_drifted(state, replay):
    """{platform: whether it is ahead} of the enrollments not where the replay puts them."""
    return {p: at > replay.positions[p] for p, at in state.positions.items() if at != replay.positions[p]}


def breaches_expected(state, replay):
    """What the audit must report for a creator in `state` whose completions replay to `replay`."""
    expected = {("stats_equal_completions", None)} if state.stats != replay.stats else set()
    expected |= {("crossed_threshold_has_achievement", m) for m in set(replay.achievements) - set(state.achievements)}
    expected |= {("achievement_earned_by_completions", m) for m in set(state.achievements) - replay.earned}
    expected |= {("achievement_has_celebration", m) for m in set(state.achievements) - state.celebrated}
    expected |= {("enrollment_week_ahead_of_completions" if ahead else "enrollment_week_follows_completions", p)
                 for p, ahead in positions_drifted(state, replay).items()}
    return expected


def state_fixed(drifted, replay):
    """The state --fix leaves: the replay's, plus every achievement the drift added (never
    revoked), and each enrollment where it was or where the replay puts it, the further."""
    achievements = {**replay.achievements, **drifted.achievements}
    return State(replay.stats, achievements, frozenset(achievements),
                 {p: max(at, replay.positions[p]) for p, at in drifted.positions.items()})


def breaches_for_a_person(state, replay):
    return ({("achievement_earned_by_completions", m) for m in set(state.achievements) - replay.earned}
            | {("enrollment_week_ahead_of_completions", p) for p, ahead in positions_drifted(state, replay).items()
               if ahead})


def breaches_found(user):
    return {(b.check, b.ids.get("milestone_id", b.ids.get("platform")))
            for b in audit.audit() if b.ids.get("user_id") == user.pk}


@pytest.fixture
def world(catalogue):
    """Two small roadmaps, so that a dozen completions finish weeks and phases, and milestones
    for one platform next to the catalogue's for all (a streak of 1 is crossed by the first
    completion only)."""
    tasks = list(roadmap_build("youtube", days=[1, 2, 8, 15, 22, 31, 38, 61]).values())
    tasks += list(roadmap_build("tiktok", days=[1, 8, 31]).values())
    for code, kind, threshold, platform in [
        ("streak-1", MilestoneKind.STREAK_DAYS, 1, ""),
        ("tiktok-streak-1", MilestoneKind.STREAK_DAYS, 1, "tiktok"),  # a new run never crosses it
        ("streak-2", MilestoneKind.STREAK_DAYS, 2, ""),
        ("youtube-streak-2", MilestoneKind.STREAK_DAYS, 2, "youtube"),
        ("tiktok-tasks-2", MilestoneKind.TASKS_COMPLETED, 2, "tiktok"),
        ("youtube-points-60", MilestoneKind.POINTS, 60, "youtube"),
        ("tiktok-phase-1", MilestoneKind.PHASE_COMPLETED, 1, "tiktok"),
    ]:
        MilestoneFactory(code=code, kind=kind, threshold=threshold, platform=platform)
    return tasks


def history_strategy(tasks):
    """Distinct tasks in a random order, each with a quality, the hours since the completion
    before (0: the same day, 24: the next, more: a gap) and the creator's time zone then."""
    step = st.tuples(st.integers(0, len(tasks) - 1), st.integers(1, 5), st.integers(0, 80), st.sampled_from(ZONES))
    return st.lists(step, max_size=len(tasks), unique_by=lambda s: s[0])


EDIT_DAYS = [1, 2, 8, 15, 22, 31, 38, 61]
# Milestones an editor may add (none is in the world or the catalogue: kind, threshold, platform unique).
EXTRA_MILESTONES = [("x-tasks-3", MilestoneKind.TASKS_COMPLETED, 3, ""),
                    ("x-points-40", MilestoneKind.POINTS, 40, "youtube"),
                    ("x-youtube-phase-1", MilestoneKind.PHASE_COMPLETED, 1, "youtube"),
                    ("x-tiktok-streak-2", MilestoneKind.STREAK_DAYS, 2, "tiktok")]


def edits_strategy(tasks):
    """Content edits, each before a step of the history: (kind, which task or milestone, which day)."""
    edit = st.tuples(st.sampled_from(["add_task", "retire_task", "move_task", "add_milestone"]),
                     st.integers(0, len(tasks) - 1), st.integers(0, len(EDIT_DAYS) - 1))
    return st.dictionaries(st.integers(0, len(tasks)), edit, max_size=3)


def content_edit(tasks, kind, which, day_index):
    day = EDIT_DAYS[day_index]
    if kind == "add_task":
        RoadmapTaskFactory(platform=["youtube", "tiktok"][which % 2], day=day, order=2)
    elif kind == "retire_task":
        RoadmapTask.objects.filter(pk=tasks[which].pk).update(is_active=False)
    elif kind == "move_task":
        phase, week = phase_and_week(day)
        RoadmapTask.objects.filter(pk=tasks[which].pk).update(day=day, phase=phase, week=week)
    else:
        code, milestone_kind, threshold, platform = EXTRA_MILESTONES[which % len(EXTRA_MILESTONES)]
        if not Milestone.objects.filter(code=code).exists():
            MilestoneFactory(code=code, kind=milestone_kind, threshold=threshold, platform=platform)
    catalogue_changed()


def drift_strategy(milestone_ids):
    some_milestones = st.sets(st.sampled_from(milestone_ids), max_size=4)
    stats = st.tuples(st.integers(0, 1200), st.integers(0, 20), st.integers(0, 12), st.integers(0, 5),
                      st.one_of(st.none(), st.integers(-3, 3)))
    return st.fixed_dictionaries({
        "stats": st.one_of(st.none(), stats),
        "dropped": some_milestones,  # achievements deleted
        "added": some_milestones,  # achievements inserted (unearned unless the completions crossed them)
        "uncelebrated": some_milestones,  # celebrations deleted
        "moved": st.one_of(st.none(), st.tuples(st.sampled_from(["youtube", "tiktok"]), st.integers(1, 3),
                                                st.integers(1, 4)),
                           # back to the start: behind wherever the completions moved it
                           st.tuples(st.sampled_from(["youtube", "tiktok"]), st.just(1), st.just(1))),
    })


def creator_with(tasks, history, rejoin_at, edits=None):
    """A Studio creator following both roadmaps since before START_AT, who completed `history`
    from then on, and left TikTok's roadmap and followed it again before step `rejoin_at`, with
    `edits` ({step: edit}) to the content before those steps (a retired task is not completed),
    and load_content's grant after them."""
    user = CreatorFactory(platform="youtube", timezone="UTC")
    entitlement_grant(user=user, plan_code="studio")  # every day of the roadmaps
    platform_enroll(user=user, platform="tiktok")
    Enrollment.objects.filter(user=user).update(created_at=START_AT - datetime.timedelta(days=1))
    at = START_AT
    for step, (index, quality, hours, zone) in enumerate(history):
        at += datetime.timedelta(hours=hours, minutes=1)
        if step == rejoin_at:
            platform_leave(user=user, platform="tiktok", now=at)
            platform_enroll(user=user, platform="tiktok", now=at)
            Enrollment.objects.filter(user=user, platform="tiktok").update(created_at=at - datetime.timedelta(seconds=30))
        CreatorProfile.objects.filter(user=user).update(timezone=zone)
        user.profile.timezone = zone
        if step in (edits or {}):
            content_edit(tasks, *edits[step])
        with contextlib.suppress(NotFound):
            task_complete(user=user, task_id=tasks[index].pk, quality=quality, now=at)
    if edits:
        milestones_grant_crossed()
    return user


def drift_apply(user, drift, state):
    if drift["stats"] is not None:
        points, count, current, longer, last = drift["stats"]
        CreatorStats.objects.filter(user=user).update(
            points=points, tasks_completed=count, current_streak=current, longest_streak=current + longer,
            last_active_on=None if last is None else (state.stats.last_active_on or datetime.date(2026, 1, 1))
            + datetime.timedelta(days=last))
    MilestoneAchievement.objects.filter(user=user, milestone_id__in=drift["dropped"] & set(state.achievements)).delete()
    for milestone_id in drift["added"] - set(state.achievements):
        achievement = MilestoneAchievement.objects.create(user=user, milestone_id=milestone_id, achieved_at=timezone.now())
        Celebration.objects.create(user=user, achievement=achievement)
    Celebration.objects.filter(user=user, achievement__milestone_id__in=drift["uncelebrated"]).delete()
    if drift["moved"] is not None:
        platform, phase, week = drift["moved"]
        Enrollment.objects.filter(user=user, platform=platform).update(current_phase=phase, current_week=week)


@contextlib.contextmanager
def rolled_back():
    """Run an example in a savepoint that is rolled back after it, so that every example, and
    every replay of one while hypothesis shrinks it, starts from the same database. Marked the
    way Django's TestCase marks its own blocks (as core.transaction_checks does), so that the
    durable services run inside it."""
    block = transaction.atomic()
    block._from_testcase = True
    with block:
        yield
        transaction.set_rollback(True)


def repair_property(tasks, fuzz):
    """Run the property with `fuzz` settings; raises on the first counterexample. Returns what
    the examples covered: how many ran, enrollments moved, phase achievements, breaches by check."""
    milestone_ids = sorted(Milestone.objects.values_list("id", flat=True))
    phase_milestones = set(Milestone.objects.filter(kind=MilestoneKind.PHASE_COMPLETED).values_list("id", flat=True))
    seen = collections.Counter()

    @fuzz
    @given(history=history_strategy(tasks), rejoin_at=st.one_of(st.none(), st.integers(0, len(tasks))),
           drift=drift_strategy(milestone_ids), edits=edits_strategy(tasks))
    def prop(history, rejoin_at, drift, edits):
        with rolled_back():
            example(history, rejoin_at, drift, edits)

    def example(history, rejoin_at, drift, edits):
        # Given completions made through the hot path, with content edits between them
        user = creator_with(tasks, history, rejoin_at, edits)
        written, replay = state_of(user), repair.replay_of(user_id=user.pk)
        assert written == state_replayed(replay), "the hot path and the replay disagree"
        assert breaches_found(user) == set()
        seen.update([kind for kind, _, _ in edits.values()])
        seen.update(["examples"], moved=sum(at != START for at in replay.positions.values()),
                    phases=sum(m in phase_milestones for m in replay.achievements))

        # When their derived state drifts
        drift_apply(user, drift, written)
        drifted = state_of(user)

        # Then the audit reports exactly what drifted, and something whenever anything did
        found = breaches_found(user)
        seen.update(check for check, _ in found)
        assert found == breaches_expected(drifted, replay)
        assert bool(found) == (drifted != written)

        # When --fix runs, then the state is the replay's again, nothing earned or reached is taken
        # away, and only what a person decides is still named
        repair.repair(audit.audit())
        fixed = state_of(user)
        assert fixed == state_fixed(drifted, replay)
        assert written.achievements.items() <= fixed.achievements.items()
        assert breaches_found(user) == breaches_for_a_person(drifted, replay)

    prop()
    return seen


@pytest.mark.django_db
def test_fix_restores_exactly_the_replay_after_any_drift(world):
    seen = repair_property(world, FUZZ)
    print(f"repair property covered: {dict(sorted(seen.items()))}")  # bench/repair_fuzz.py reads it

    # The examples reached every derived breach, moved enrollments, finished phases and made every kind of edit.
    assert set(DERIVED_CHECKS) <= set(seen), seen
    assert seen["moved"] and seen["phases"], seen
    assert {"add_task", "retire_task", "move_task", "add_milestone"} <= set(seen), seen


def repair_trusting_the_stats(*, user_id):
    """A planted defect, the one of the repair before issue 12: it also grants the thresholds
    that the stats columns, drifted as they are, cross."""
    stats = CreatorStats.objects.get(user_id=user_id)
    creator_repair(user_id=user_id)
    for milestone in Milestone.objects.filter(is_active=True, platform=""):
        counted = {MilestoneKind.TASKS_COMPLETED: stats.tasks_completed, MilestoneKind.POINTS: stats.points,
                   MilestoneKind.STREAK_DAYS: stats.longest_streak}.get(milestone.kind)
        if counted is not None and counted >= milestone.threshold:
            achievement, _ = MilestoneAchievement.objects.get_or_create(
                user_id=user_id, milestone=milestone, defaults={"achieved_at": timezone.now()})
            Celebration.objects.get_or_create(achievement=achievement, defaults={"user_id": user_id})


@pytest.mark.django_db
def test_the_property_catches_a_repair_that_trusts_the_drifted_stats(world, monkeypatch):
    monkeypatch.setattr(repair, "creator_repair", repair_trusting_the_stats)
    quick = settings(FUZZ, phases=[Phase.generate])  # the first counterexample is enough

    with pytest.raises(AssertionError):
        repair_property(world, quick)
