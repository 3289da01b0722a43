"""How `manage.py check_transactions` exercises milestones' durable services."""

from accounts.transaction_checks import check_creator
from core.transaction_checks import scenario
from milestones import services
from milestones.models import Celebration, MilestoneAchievement
from tasks.services import task_complete
from tasks.transaction_checks import first_task


def _achiever():
    creator = check_creator()
    task_complete(user=creator, task_id=first_task().pk)
    return creator, MilestoneAchievement.objects.filter(user=creator).first()


@scenario("milestones.celebration_seen")
def seen():
    creator, _ = _achiever()
    celebration = Celebration.objects.filter(user=creator).first()
    return lambda: services.celebration_seen(user=creator, celebration_id=celebration.pk)


@scenario("milestones.achievement_share")
def share():
    creator, achievement = _achiever()
    return lambda: services.achievement_share(user=creator, milestone_id=achievement.milestone_id)


@scenario("milestones.achievement_unshare")
def unshare():
    creator, achievement = _achiever()
    services.achievement_share(user=creator, milestone_id=achievement.milestone_id)
    return lambda: services.achievement_unshare(user=creator, milestone_id=achievement.milestone_id)
