"""How `manage.py check_transactions` exercises ops' durable services."""

from django.utils import timezone

from accounts.models import CreatorStats, Enrollment
from accounts.transaction_checks import check_creator
from core.transaction_checks import scenario
from milestones.models import Celebration, Milestone, MilestoneAchievement
from ops import account_deletion, export
from ops.content_load import content_load
from ops.repair import creator_repair
from tasks.services.completion import task_complete
from tasks.transaction_checks import first_task


@scenario("ops.content_load")
def load():
    return content_load


@scenario("ops.creator_repair")
def repair():
    # A first completion, then drift of everything derived from it, so that the repair writes
    # each kind of row: the stats, an unearned achievement deleted with its celebration, the
    # earned one granted again with a celebration, the enrollment moved back.
    creator = check_creator()
    task_complete(user=creator, task_id=first_task().pk)
    CreatorStats.objects.filter(user=creator).update(points=0, tasks_completed=0, current_streak=0, longest_streak=0)
    Enrollment.objects.filter(user=creator).update(current_phase=3, current_week=4)
    earned = MilestoneAchievement.objects.filter(user=creator)
    unearned = Milestone.objects.exclude(pk__in=earned.values("milestone_id")).order_by("-threshold").first()
    earned.delete()
    if unearned is not None:
        achievement = MilestoneAchievement.objects.create(user=creator, milestone=unearned, achieved_at=timezone.now())
        Celebration.objects.create(user=creator, achievement=achievement)
    return lambda: creator_repair(user_id=creator.pk)


@scenario("ops.account_erase")
def account_erase():
    """A creator with a completion (stats, achievements, celebrations, counters), a payment to
    keep on the tombstone and a token: every write of the deletion has something to delete."""
    from django.utils import timezone as dj_timezone
    from rest_framework.authtoken.models import Token

    from billing.models import Payment

    creator = check_creator()
    task_complete(user=creator, task_id=first_task().pk)
    Payment.objects.create(user=creator, stripe_invoice_id=f"in_check_{creator.pk}", amount_cents=999,
                           currency="usd", paid_at=dj_timezone.now())
    Token.objects.create(user=creator)
    return lambda: account_deletion.account_erase(user_id=creator.pk)


@scenario("ops.data_export_request")
def data_export_request():
    creator = check_creator()
    return lambda: export.data_export_request(user=creator)


@scenario("ops.data_export_store")
def data_export_store():
    from accounts.account_services import data_export_create

    creator = check_creator()
    pending = data_export_create(user_id=creator.pk)
    return lambda: export.data_export_store(export_id=pending.pk, user_id=creator.pk, archive=b"PK")
