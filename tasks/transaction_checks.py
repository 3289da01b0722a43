"""How `manage.py check_transactions` exercises tasks' durable services (the metered ones too)."""

from django.utils import timezone

from accounts.models import Enrollment
from accounts.transaction_checks import check_creator
from billing.services.grants import entitlement_grant
from core.transaction_checks import scenario
from tasks.models import RoadmapTask, TaskCompletion
from tasks.services import completion, enrollments, exports, ideas


def first_task(platform="youtube"):
    """Day 1 of the loaded roadmap, or a task made for the check when no content is loaded."""
    task = RoadmapTask.objects.filter(platform=platform, day=1, is_active=True).first()
    return task or RoadmapTask.objects.create(
        code="check-transactions-task", platform=platform, day=1, phase=1, week=1, category="create", minutes=10,
        title="Check", body="Check.", why="Check.", success="Check.",
    )


@scenario("tasks.task_complete", reaches=(
    "tasks_taskcompletion", "accounts_creatorstats.points", "accounts_enrollment.current_week",
    "accounts_enrollment.current_phase", "milestones_milestoneachievement", "milestones_celebration",
    "job:send_milestone_email",
))
def complete():
    """A creator one task short of finishing phase 1, in its last week: this completion closes the
    phase, so every branch runs (stats, the week and the phase advance, milestones with their
    celebrations and the milestone email)."""
    creator = check_creator()
    entitlement_grant(user=creator, plan_code="studio")  # every day of phase 1 open
    phase_one = list(RoadmapTask.objects.filter(platform="youtube", phase=1, is_active=True).order_by("day", "order"))
    *done, last = phase_one or [first_task()]
    now = timezone.now()
    TaskCompletion.objects.bulk_create([
        TaskCompletion(user=creator, task=task, points=completion.points_for(3), completed_at=now, local_date=now.date())
        for task in done
    ])
    Enrollment.objects.filter(user=creator, platform="youtube").update(current_week=last.week)
    return lambda: completion.task_complete(user=creator, task_id=last.pk, quality=5)


@scenario("tasks.idea_create", reaches=("tasks_contentidea", "usage_usagecounter"))
def idea_create():
    creator, task = check_creator(), first_task()
    return lambda: ideas.idea_create(user=creator, title="A video idea", notes="Hook first.", task_id=task.pk)


@scenario("tasks.idea_update", reaches=("tasks_contentidea.title",))
def idea_update():
    creator = check_creator()
    idea = ideas.idea_create(user=creator, title="A video idea")
    return lambda: ideas.idea_update(user=creator, idea_id=idea.pk, title="A sharper idea")


@scenario("tasks.idea_delete", reaches=("tasks_contentidea",))
def idea_delete():
    creator = check_creator()
    idea = ideas.idea_create(user=creator, title="A video idea")
    return lambda: ideas.idea_delete(user=creator, idea_id=idea.pk)


@scenario("tasks.platform_enroll", reaches=("accounts_enrollment", "usage_usagecounter"))
def enroll():
    creator = check_creator()
    entitlement_grant(user=creator, plan_code="studio")
    return lambda: enrollments.platform_enroll(user=creator, platform="twitch")


@scenario("tasks.platform_leave", reaches=("accounts_enrollment", "usage_usagecounter"))
def leave():
    creator = check_creator()
    entitlement_grant(user=creator, plan_code="studio")
    enrollments.platform_enroll(user=creator, platform="twitch")
    return lambda: enrollments.platform_leave(user=creator, platform="twitch")


@scenario("tasks.roadmap_export", reaches=("usage_usagecounter",))
def export():
    creator = check_creator()
    first_task()
    return lambda: exports.roadmap_export(user=creator, fmt="csv")
