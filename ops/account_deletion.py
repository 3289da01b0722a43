"""Account deletion (GDPR art. 17), across every app: Stripe first, outside any transaction and
idempotently (billing.services.account_closing), then one durable service that removes every row
of the creator, app by app through each app's own function, and keeps only the payments the law
requires, tied to a nothing-personal tombstone. The confirmation goes to the address read
inside that transaction, before the delete. Also: the audit that no row references a deleted
creator."""

from django.apps import apps
from django.conf import settings

from accounts import account_services
from accounts import jobs as account_jobs
from accounts.models import AccountTombstone, User
from accounts.services import stats_lock
from billing import jobs as billing_jobs
from billing.models import Payment
from billing.services.account_closing import creator_billing_erase, stripe_account_close
from core.email import email_enqueue, jobs_discard
from core.errors import NotFound
from core.transactions import durable_service
from milestones import jobs as milestone_jobs
from milestones.services import creator_milestones_erase
from reminders import jobs as reminder_jobs
from tasks.services.erasure import creator_tasks_erase
from usage.services import creator_usage_erase

# Payments are tax records: kept this many years after the deletion (then ops may purge them).
PAYMENT_RETENTION_YEARS = 10

# The jobs whose first argument is a creator's id: a deleted creator's are discarded.
CREATOR_JOBS = [
    account_jobs.send_verification_email, account_jobs.send_welcome_email, account_jobs.send_password_reset_email,
    account_jobs.send_account_exists_email, account_jobs.send_email_changed_notice,
    account_jobs.send_password_changed_email, milestone_jobs.send_milestone_email,
    billing_jobs.send_payment_failed_email, billing_jobs.send_subscription_cancelled_email,
    billing_jobs.stripe_customer_email_sync, account_jobs.send_export_ready_email, reminder_jobs.send_reminder,
]


def account_delete(*, user, password):
    """Delete the signed-in creator's account, confirmed with their password: Stripe closed first
    (subscription canceled now, customer deleted; a retry after a failure finds them done), then
    account_erase. Returns the tombstone."""
    account_services.password_confirm(user=user, password=password)
    customer_id = stripe_account_close(user_id=user.pk)
    return account_erase(user_id=user.pk, stripe_customer_id=customer_id)


def _gone(exc, *, user_id, **_):
    """A second deletion of the same account (a double click) lost to the first one."""
    if AccountTombstone.objects.filter(former_user_id=user_id).exists():
        raise NotFound("This account is already deleted.") from exc
    raise exc


@durable_service("ops.account_erase", integrity_error=_gone)
def account_erase(*, user_id, stripe_customer_id=""):
    """Every row of the creator, in one transaction, locks in core.locks.LOCK_ORDER: their stats
    row first (a completion in flight waits, then finds no creator), then the entitlement and the
    usage counters; payments move to the tombstone; a job queued for them is discarded; the
    confirmation email (to the address held until now) is in this transaction's outbox."""
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound("This account is already deleted.")
    stats_lock(user_id=user_id)
    tombstone = account_services.account_tombstone_create(user_id=user_id, stripe_customer_id=stripe_customer_id)
    payment_ids = list(Payment.objects.filter(user_id=user_id).values_list("pk", flat=True))
    creator_billing_erase(user_id=user_id, tombstone_id=tombstone.pk)
    creator_usage_erase(user_id=user_id)
    creator_milestones_erase(user_id=user_id)
    creator_tasks_erase(user_id=user_id)
    jobs_discard(task_paths=[job.module_path for job in CREATOR_JOBS], first_args=[user_id])
    jobs_discard(task_paths=[billing_jobs.send_receipt_email.module_path], first_args=payment_ids)
    address, name = account_services.creator_account_erase(user_id=user_id)
    email_enqueue(account_jobs.send_account_deleted_email, address, tombstone.pk, name)
    return tombstone


def deleted_creator_references(*, former_user_ids=None):
    """Rows that still reference a deleted creator (audit; empty when sound): {"app.Model": count}
    over every model with a foreign key to the user model, the queued jobs of CREATOR_JOBS, and
    payments of a tombstone still tied to a user. A payment tied to the tombstone is what the law
    keeps, and is not counted."""
    if former_user_ids is None:
        former_user_ids = list(AccountTombstone.objects.values_list("former_user_id", flat=True))
    if not former_user_ids:
        return {}
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not None and \
                    field.related_model._meta.label == settings.AUTH_USER_MODEL:
                count = model._base_manager.filter(**{f"{field.attname}__in": former_user_ids}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    from django_tasks_db.models import DBTaskResult

    paths = [job.module_path for job in CREATOR_JOBS]
    jobs = sum(
        DBTaskResult.objects.filter(task_path__in=paths, args_kwargs__args__0=user_id).count()
        for user_id in former_user_ids
    )
    if jobs:
        found["django_tasks_db.DBTaskResult"] = jobs
    untied = Payment.objects.filter(tombstone__former_user_id__in=former_user_ids, user__isnull=False).count()
    if untied:
        found["billing.Payment.tombstone"] = untied
    users = User.objects.filter(pk__in=former_user_ids).count()
    if users:
        found["accounts.User"] = users
    return found
