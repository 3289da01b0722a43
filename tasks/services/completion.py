"""Completing a roadmap task, the hot path (DESIGN.md §4), and the rules it applies: points per
completion and the week advance."""

import dataclasses

from django.db.models import Case, Value, When
from django.utils import timezone

from accounts import services as account_services
from billing.plan_rules import days_every_plan_covers, plan_covers_day
from billing.selectors import plan_for, plans_catalogue
from core.catalog import catalogue_version
from core.errors import InvalidInput, NotFound, PlanRequired
from core.rawsql import Select, Table
from core.transactions import durable_service
from core.upsert import insert_once
from milestones import services as milestone_services
from milestones.selectors import celebrations_pending
from tasks import selectors
from tasks.models import ROADMAP_DAYS, TaskCompletion

NOTES_MAX = 2000
QUALITY_MIN, QUALITY_MAX = 1, 5
DEFAULT_QUALITY = 3


def points_for(quality):
    return 10 + 2 * quality


@dataclasses.dataclass(frozen=True)
class CompletionResult:
    completion: TaskCompletion
    created: bool
    stats: object
    new_achievements: list
    pending_celebrations: list


def completion_input(*, user, task_id, quality, notes, now):
    """task_complete's checks, before its transaction: quality a whole number 1–5 (default 3),
    notes text of at most NOTES_MAX characters (InvalidInput naming each)."""
    quality = DEFAULT_QUALITY if quality is None else quality
    errors = {}
    if not isinstance(quality, int) or isinstance(quality, bool) or not QUALITY_MIN <= quality <= QUALITY_MAX:
        errors["quality"] = [f"A whole number from {QUALITY_MIN} to {QUALITY_MAX}."]
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        errors["notes"] = [f"Text of at most {NOTES_MAX} characters."]
    InvalidInput.raise_if_any(errors)
    return {"user": user, "task_id": task_id, "quality": quality, "notes": notes, "now": now or timezone.now()}


@durable_service("tasks.task_complete", validate=completion_input)
def task_complete(*, user, task_id, quality=None, notes="", now=None):
    """Complete a roadmap task for a creator, exactly once.

    One durable transaction: lock the creator's stats → plan gate → insert the completion
    (a repeat returns the first completion and changes nothing) → stats with F() → phase/week
    advance → milestones crossed → achievements and celebrations; milestone email on commit.
    Raises InvalidInput (bad quality/notes), NotFound (no such task, or a platform the creator
    does not follow), PlanRequired (a day beyond the plan's roadmap).
    """
    version = catalogue_version()
    catalogue = selectors.roadmap_catalogue(version=version)
    task = catalogue.tasks.get(task_id)
    if task is None:
        raise NotFound("No such task.")
    stats = account_services.stats_lock(user_id=user.pk, following=task.platform)
    if stats is None:
        raise NotFound("No such task on your roadmaps.")

    plan = _plan_short_of(user=user, task=task, catalogue_version=version, now=now)
    if plan is not None:
        # A task completed under an earlier, bigger plan still answers as a repeat.
        existing = TaskCompletion.objects.filter(user=user, task=task).first()
        if existing is not None:
            return _repeat(user=user, existing=existing, stats=stats, catalogue_version=version)
        raise PlanRequired(
            f"Day {task.day} is part of the {ROADMAP_DAYS}-day roadmap on a paid plan; "
            f"your plan covers {plan.roadmap_days} days.",
            extra={"plan": plan.code, "roadmap_days": plan.roadmap_days},
        )

    profile = user.profile
    local_date = timezone.localdate(now, timezone=profile.tzinfo)
    points = points_for(quality)
    move_to, phase_completed = _advance_of(user=user, task=task, catalogue=catalogue)
    completion = TaskCompletion(
        user=user, task=task, quality=quality, notes=notes, points=points, completed_at=now, local_date=local_date,
        moved_to_phase=move_to and move_to[0], moved_to_week=move_to and move_to[1], completed_phase=phase_completed,
    )
    if not insert_once(completion, unique_fields=("user", "task")):
        existing = TaskCompletion.objects.get(user=user, task=task)
        return _repeat(user=user, existing=existing, stats=stats, catalogue_version=version)

    before = stats
    stats = account_services.stats_record_completion(locked_stats=before, points=points, local_date=local_date)
    if move_to is not None:
        account_services.enrollment_move_to(user=user, platform=task.platform, phase=move_to[0], week=move_to[1])
    new_achievements = milestone_services.milestones_unlock(
        user=user,
        platform=task.platform,
        before=before,
        after=stats,
        phases_completed=[task.phase] if phase_completed else [],
        milestone_emails=profile.milestone_emails,
        catalogue_version=version,
        now=now,
    )
    pending = celebrations_pending(user=user, catalogue_version=version)
    return CompletionResult(completion, True, stats, new_achievements, pending)


def completions_points_match(*, user_id):
    """Repair (audit_integrity --fix): give each of the creator's completions the points its
    quality earns (points_for), in one UPDATE; the quality is what the creator said, the points
    follow from it. Returns how many changed. Call inside a transaction holding the stats lock,
    then re-derive the stats."""
    earned = Case(*(When(quality=q, then=Value(points_for(q))) for q in range(QUALITY_MIN, QUALITY_MAX + 1)))
    return TaskCompletion.objects.filter(user_id=user_id).exclude(points=earned).update(points=earned)


def _repeat(*, user, existing, stats, catalogue_version):
    """A repeat answers with the first completion and what is pending, and changes nothing."""
    return CompletionResult(existing, False, stats, [], celebrations_pending(user=user, catalogue_version=catalogue_version))


def _plan_short_of(*, user, task, catalogue_version, now):
    """The creator's plan if the task's day is beyond it, else None. Every plan covers the first
    days (the free plan's 30), so only a later day reads the creator's plan (one query)."""
    plans = plans_catalogue(version=catalogue_version).values()
    if task.day <= days_every_plan_covers(plans):
        return None
    plan = plan_for(user, now=now, catalogue_version=catalogue_version)
    return None if plan_covers_day(plan, task.day) else plan


def week_advance(*, weeks, done, week):
    """The week advance rule. Given a platform's weeks ({(phase, week): its active task ids}, in
    roadmap order: RoadmapCatalogue.weeks), the ids of every task the creator completed, and the
    (phase, week) of the task just completed, return (the first week with an open task if the
    enrollment moves there, i.e. it comes after that task's week, else None; whether that task's
    phase has no open task left). Pure. The hot path (_advance_of) records its answer on the
    completion; the replay of completions (ops.replay) reads it there and asks the rule again
    only for phases today's catalogue closes (a removed task)."""
    open_weeks = [key for key, task_ids in weeks.items() if not task_ids <= done]
    move_to = open_weeks[0] if open_weeks and open_weeks[0] > week else None
    return move_to, all(phase != week[0] for phase, _ in open_weeks)


def _advance_of(*, user, task, catalogue):
    """What completing `task` does under the catalogue of this moment (week_advance): the week the
    enrollment moves to (None: it stays) and whether the task's phase is then complete. Recorded
    on the completion, so that no later content edit rewrites the past. One query, the ids of
    the tasks the creator completed (at most 270, read from the unique index), before the
    insert: the task itself counts as done; a repeat uses neither answer."""
    done = _completed_task_ids(user_id=user.pk) | {task.pk}
    return week_advance(weeks=catalogue.weeks[task.platform], done=done, week=(task.phase, task.week))


def _completed_task_ids_select(alias):
    completions = Table(TaskCompletion, alias)
    return f"SELECT {completions.column('task')} FROM {completions.name} WHERE {completions.column('user')} = %s", [
        (completions, "task")
    ]


# Hand-written SQL (core.rawsql): the statement is one index read, and on the hot path the ORM's
# query building and row handling cost more CPU than it.
_COMPLETED_TASK_IDS = Select(TaskCompletion, _completed_task_ids_select)


def _completed_task_ids(*, user_id):
    """The ids of every task the creator completed, as a set."""
    return {task_id for (task_id,) in _COMPLETED_TASK_IDS.rows([user_id])}
