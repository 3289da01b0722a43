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
from tasks.models import RoadmapTask
from tasks.transaction_checks import first_task


@scenario("ops.content_load", reaches=("tasks_roadmaptask.title",))
def load():
    # A task edited away from the catalogue in the repo, so that loading writes (on a loaded
    # database it would otherwise write nothing, and prove nothing).
    task = RoadmapTask.objects.filter(is_active=True).order_by("pk").first()
    if task is not None:
        RoadmapTask.objects.filter(pk=task.pk).update(title="Edited away from the catalogue")
    return content_load


@scenario("ops.creator_repair", reaches=("accounts_creatorstats",))
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


@scenario("ops.account_erase", reaches=(
    "accounts_user", "accounts_accounttombstone", "billing_payment.tombstone_id", "tasks_taskcompletion",
    "milestones_milestoneachievement", "authtoken_token", "job:send_account_deleted_email"))
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


@scenario("ops.data_export_request", reaches=("accounts_dataexport", "job:data_export_build"))
def data_export_request():
    creator = check_creator()
    return lambda: export.data_export_request(user=creator)


@scenario("ops.data_export_store", reaches=("accounts_dataexport", "job:send_export_ready_email"))
def data_export_store():
    from accounts.account_services import data_export_create

    creator = check_creator()
    pending = data_export_create(user_id=creator.pk)
    return lambda: export.data_export_store(export_id=pending.pk, user_id=creator.pk, archive=b"PK")
