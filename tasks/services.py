"""Tasks' writes. `task_complete` is the hot path (DESIGN.md §4)."""

import dataclasses

from django.db import IntegrityError, transaction
from django.db.models import Count, FilteredRelation, Q
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from billing.selectors import plan_for
from core.errors import InvalidInput, NotFound, PlanRequired
from core.transactions import durable_service
from milestones import services as milestone_services
from milestones.selectors import celebrations_pending
from tasks.models import ROADMAP_DAYS, RoadmapTask, TaskCompletion

NOTES_MAX = 2000
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


def task_complete(*, user, task_id, quality=None, notes="", now=None):
    """Complete a roadmap task for a creator, exactly once.

    One durable transaction: lock the creator's stats → plan gate → insert the completion
    (a repeat returns the first completion and changes nothing) → stats with F() → phase/week
    advance → milestones crossed → achievements and celebrations; milestone email on commit.
    Raises InvalidInput (bad quality/notes), NotFound (no such task, or a platform the creator
    does not follow), PlanRequired (a day beyond the plan's roadmap).
    """
    quality = DEFAULT_QUALITY if quality is None else quality
    errors = {}
    if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 5:
        errors["quality"] = ["A whole number from 1 to 5."]
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        errors["notes"] = [f"Text of at most {NOTES_MAX} characters."]
    if errors:
        raise InvalidInput(fields=errors)
    return _complete(user=user, task_id=task_id, quality=quality, notes=notes, now=now or timezone.now())


@durable_service("tasks.task_complete")
def _complete(*, user, task_id, quality, notes, now):
    task = RoadmapTask.objects.filter(pk=task_id, is_active=True).first()
    if task is None:
        raise NotFound("No such task.")
    enrollment = account_selectors.enrollment_get(user=user, platform=task.platform)
    if enrollment is None:
        raise NotFound("No such task on your roadmaps.")
    stats = account_services.stats_lock(user_id=user.pk)

    existing = TaskCompletion.objects.filter(user=user, task=task).first()
    if existing is not None:
        return CompletionResult(existing, False, stats, [], celebrations_pending(user=user))

    plan = plan_for(user, now=now)
    if task.day > plan.roadmap_days:
        raise PlanRequired(
            f"Day {task.day} is part of the {ROADMAP_DAYS}-day roadmap on a paid plan; "
            f"your plan covers {plan.roadmap_days} days.",
            extra={"plan": plan.code, "roadmap_days": plan.roadmap_days},
        )

    profile = user.profile
    local_date = timezone.localdate(now, timezone=profile.tzinfo)
    points = points_for(quality)
    try:
        # The stats lock serialises this creator's completions, so the check above is
        # authoritative; the unique constraint stays the last word (savepoint: a failed INSERT
        # must not abort the transaction on PostgreSQL).
        with transaction.atomic():
            completion = TaskCompletion.objects.create(
                user=user, task=task, quality=quality, notes=notes, points=points,
                completed_at=now, local_date=local_date,
            )
    except IntegrityError:
        existing = TaskCompletion.objects.get(user=user, task=task)
        return CompletionResult(existing, False, stats, [], celebrations_pending(user=user))

    before = stats
    stats = account_services.stats_record_completion(locked_stats=before, points=points, local_date=local_date)
    phase_completed = _advance(user=user, enrollment=enrollment, task=task)
    new_achievements = milestone_services.milestones_unlock(
        user=user,
        platform=task.platform,
        before=before,
        after=stats,
        phases_completed=[task.phase] if phase_completed else [],
        milestone_emails=profile.milestone_emails,
        now=now,
    )
    return CompletionResult(completion, True, stats, new_achievements, celebrations_pending(user=user))


def _advance(*, user, enrollment, task):
    """Move the enrollment to the first week with an open task; return whether the task's
    phase is now complete (this completion completed it: the task was open until now).
    One grouped query over the platform's roadmap (at most 12 rows)."""
    weeks = (
        RoadmapTask.objects.filter(platform=task.platform, is_active=True)
        # The user's condition goes into the JOIN, so only this creator's completions are read.
        .annotate(mine=FilteredRelation("completions", condition=Q(completions__user=user)))
        .values("phase", "week")
        .annotate(total=Count("id"), done=Count("mine"))
        .order_by("phase", "week")
    )
    open_weeks = [(w["phase"], w["week"]) for w in weeks if w["done"] < w["total"]]
    if open_weeks and open_weeks[0] > (enrollment.current_phase, enrollment.current_week):
        account_services.enrollment_move_to(enrollment=enrollment, phase=open_weeks[0][0], week=open_weeks[0][1])
    return all(phase != task.phase for phase, _ in open_weeks)
