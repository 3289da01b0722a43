"""Retention of core's operational records (docs/guarantees.md, "Retention"), run daily by
`manage.py prune_records` (deploy/systemd/creatorcompass-prune.timer, with billing's
`webhook_deliveries_prune` for Stripe deliveries).

- Finished jobs: a SUCCESSFUL job, and a FAILED job that was retried, finished more than
  JOB_RESULT_RETENTION_DAYS ago. A FAILED job not retried is kept: either the sweeper is still to
  retry it or it gave up, and then it stays in the admin's "given up" list until a person re-runs it.
- JobRetry: a row whose two jobs are both gone. While either job exists it is needed: its
  `job_id` stops the sweeper retrying that job twice, its `retried_as` counts the attempts.
- SentEmail: the address (`to`) of a message sent more than EMAIL_ADDRESS_RETENTION_DAYS ago is
  blanked; the row, its key and its Message-ID stay, so the email is still never sent twice.
- IdempotencyKey: keys older than IDEMPOTENCY_KEY_TTL (a repeat after that runs again).

Each is one statement, committed on its own, and each is safe to repeat or to run concurrently.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.models import IdempotencyKey, JobRetry, SentEmail


def records_prune(*, now=None):
    """Prune what retention allows; returns {what: rows pruned}."""
    now = now or timezone.now()
    jobs_before = now - settings.JOB_RESULT_RETENTION
    retried = JobRetry.objects.filter(job_id=OuterRef("pk"))
    jobs, _ = DBTaskResult.objects.filter(
        Q(status="SUCCESSFUL") | Q(Exists(retried), status="FAILED"), finished_at__lt=jobs_before
    ).delete()
    job_ids = DBTaskResult.objects.values("pk")
    retries, _ = JobRetry.objects.exclude(job_id__in=job_ids).exclude(retried_as__in=job_ids).delete()
    addresses = SentEmail.objects.filter(
        sent_at__lt=now - settings.EMAIL_ADDRESS_RETENTION
    ).exclude(to="").update(to="")
    keys, _ = IdempotencyKey.objects.filter(created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL).delete()
    return {"jobs": jobs, "job_retries": retries, "email_addresses": addresses, "idempotency_keys": keys}
