"""How `manage.py check_transactions` exercises ops' durable services."""

from accounts.models import CreatorStats
from accounts.transaction_checks import check_creator
from core.catalog import catalogue_changed
from core.transaction_checks import scenario
from milestones.models import Milestone, MilestoneAchievement, MilestoneKind
from ops import account_deletion, export, export_request
from ops.content_load import content_load
from ops.grants import milestones_grant_batch
from ops.repair import creator_repair
from tasks.models import RoadmapTask, TaskCompletion
from tasks.services.completion import task_complete
from tasks.transaction_checks import first_task
from usage.catalog import LIFETIME_START, LIFETIME_STARTS_AT
from usage.models import Feature, UsageCounter


@scenario("ops.content_load", reaches=("tasks_roadmaptask.title",))
def load():
    # A task edited away from the catalogue in the repo, so that loading writes (on a loaded
    # database it would otherwise write nothing, and prove nothing).
    task = RoadmapTask.objects.filter(is_active=True).order_by("pk").first()
    if task is not None:
        RoadmapTask.objects.filter(pk=task.pk).update(title="Edited away from the catalogue")
    return content_load


@scenario("ops.creator_repair", reaches=(
    "tasks_taskcompletion.points", "accounts_creatorstats.points", "milestones_milestoneachievement",
    "milestones_celebration", "usage_usagecounter.used"))
def repair():
    # A first completion, then drift of what is derived from it, so that the repair writes each
    # kind of row it can: the completion's points, the stats, the earned achievement granted
    # again with a celebration, the platforms counter recounted.
    creator = check_creator()
    task_complete(user=creator, task_id=first_task().pk)
    TaskCompletion.objects.filter(user=creator).update(points=99)
    CreatorStats.objects.filter(user=creator).update(points=0, tasks_completed=0, current_streak=0, longest_streak=0)
    MilestoneAchievement.objects.filter(user=creator).delete()
    UsageCounter.objects.create(user=creator, feature=Feature.PLATFORMS, period_start=LIFETIME_START,
                                starts_at=LIFETIME_STARTS_AT, used=5)
    return lambda: creator_repair(user_id=creator.pk)


@scenario("ops.milestones_grant_batch", reaches=("milestones_milestoneachievement", "milestones_celebration"))
def grant():
    # A milestone added after the creator crossed it: the grant writes the achievement and its celebration.
    creator = check_creator()
    task = first_task()
    task_complete(user=creator, task_id=task.pk)
    Milestone.objects.create(code=f"check-{creator.pk}", kind=MilestoneKind.TASKS_COMPLETED, threshold=1,
                             platform=task.platform, title="Check", message="Check.")
    catalogue_changed()
    return lambda: milestones_grant_batch(users=(creator.pk, creator.pk))


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
    return lambda: export_request.data_export_request(user=creator)


@scenario("ops.data_export_store", reaches=("accounts_dataexport", "job:send_export_ready_email"))
def data_export_store():
    from accounts.account_services import data_export_create

    creator = check_creator()
    pending = data_export_create(user_id=creator.pk)
    return lambda: export.data_export_store(export_id=pending.pk, user_id=creator.pk, archive=b"PK")
