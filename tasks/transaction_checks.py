"""How `manage.py check_transactions` exercises tasks' durable services (the metered ones too)."""

from accounts.transaction_checks import check_creator
from billing.services.grants import entitlement_grant
from core.transaction_checks import scenario
from tasks.models import RoadmapTask
from tasks.services import completion, enrollments, exports, ideas


def first_task(platform="youtube"):
    """Day 1 of the loaded roadmap, or a task made for the check when no content is loaded."""
    task = RoadmapTask.objects.filter(platform=platform, day=1, is_active=True).first()
    return task or RoadmapTask.objects.create(
        code="check-transactions-task", platform=platform, day=1, phase=1, week=1, category="create", minutes=10,
        title="Check", body="Check.", why="Check.", success="Check.",
    )


@scenario("tasks.task_complete")
def complete():
    creator, task = check_creator(), first_task()  # a first completion: stats, week, milestones
    return lambda: completion.task_complete(user=creator, task_id=task.pk, quality=5)


@scenario("tasks.idea_create")
def idea_create():
    creator, task = check_creator(), first_task()
    return lambda: ideas.idea_create(user=creator, title="A video idea", notes="Hook first.", task_id=task.pk)


@scenario("tasks.idea_update")
def idea_update():
    creator = check_creator()
    idea = ideas.idea_create(user=creator, title="A video idea")
    return lambda: ideas.idea_update(user=creator, idea_id=idea.pk, title="A sharper idea")


@scenario("tasks.idea_delete")
def idea_delete():
    creator = check_creator()
    idea = ideas.idea_create(user=creator, title="A video idea")
    return lambda: ideas.idea_delete(user=creator, idea_id=idea.pk)


@scenario("tasks.platform_enroll")
def enroll():
    creator = check_creator()
    entitlement_grant(user=creator, plan_code="studio")
    return lambda: enrollments.platform_enroll(user=creator, platform="twitch")


@scenario("tasks.platform_leave")
def leave():
    creator = check_creator()
    entitlement_grant(user=creator, plan_code="studio")
    enrollments.platform_enroll(user=creator, platform="twitch")
    return lambda: enrollments.platform_leave(user=creator, platform="twitch")


@scenario("tasks.roadmap_export")
def export():
    creator = check_creator()
    first_task()
    return lambda: exports.roadmap_export(user=creator, fmt="csv")
