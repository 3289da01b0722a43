"""How `manage.py check_transactions` exercises milestones' durable services."""

from django.utils import timezone

from accounts.transaction_checks import check_creator
from core.transaction_checks import scenario
from milestones import services
from milestones.models import Celebration, Milestone, MilestoneAchievement, MilestoneKind


def _achiever():
    """A creator holding an achievement with a celebration not yet seen (of the loaded catalogue's
    first milestone, or one made for the check when none is loaded)."""
    creator = check_creator()
    milestone = Milestone.objects.filter(is_active=True).first() or Milestone.objects.create(
        code="check-transactions-milestone", kind=MilestoneKind.TASKS_COMPLETED, threshold=1, title="Check",
        message="Check.",
    )
    achievement = MilestoneAchievement.objects.create(user=creator, milestone=milestone, achieved_at=timezone.now())
    Celebration.objects.create(user=creator, achievement=achievement)
    return creator, achievement


@scenario("milestones.celebration_seen", reaches=("milestones_celebration.seen_at",))
def seen():
    creator, _ = _achiever()
    celebration = Celebration.objects.filter(user=creator).first()
    return lambda: services.celebration_seen(user=creator, celebration_id=celebration.pk)


@scenario("milestones.achievement_share", reaches=("milestones_milestoneachievement",))
def share():
    creator, achievement = _achiever()
    return lambda: services.achievement_share(user=creator, milestone_id=achievement.milestone_id)


@scenario("milestones.achievement_unshare", reaches=("milestones_milestoneachievement",))
def unshare():
    creator, achievement = _achiever()
    services.achievement_share(user=creator, milestone_id=achievement.milestone_id)
    return lambda: services.achievement_unshare(user=creator, milestone_id=achievement.milestone_id)
