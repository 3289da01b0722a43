"""Retrying background jobs. django-tasks-db runs a job once and never retries it (a killed
worker leaves it RUNNING); our jobs are idempotent (email keys), so they can be enqueued again.
The sweeper does it with exponential backoff, up to MAX_ATTEMPTS; ops can retry from the admin.
"""

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.models import JobRetry
from core.transactions import durable_service

MAX_ATTEMPTS = 5


def backoff(attempt):
    """Delay before retry number `attempt` (1-based): 1, 2, 4, 8 … times JOB_RETRY_BACKOFF."""
    return settings.JOB_RETRY_BACKOFF * 2 ** (attempt - 1)


def _attempt_of(job):
    previous = JobRetry.objects.filter(retried_as=job.pk).values_list("attempt", flat=True).first()
    return (previous or 0) + 1


@durable_service("core.job_retry")
def job_retry(*, job, now=None, delay=True, by_ops=False):
    """Enqueue `job` again (same task and arguments) and record it. Returns the new job, or
    None when the job was retried already or has used up its attempts (unless `by_ops`: a person
    re-running a job that gave up, from the admin)."""
    attempt = _attempt_of(job)
    if attempt > MAX_ATTEMPTS and not by_ops:
        return None
    now = now or timezone.now()
    task = job.task.using(run_after=now + backoff(attempt)) if delay else job.task
    try:
        with transaction.atomic():
            # Claims the job (unique job_id) before enqueueing; the new job's id replaces the
            # placeholder below, in the same transaction.
            JobRetry.objects.create(job_id=job.pk, retried_as=uuid.uuid4(), attempt=attempt)
            result = task.enqueue(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
            JobRetry.objects.filter(job_id=job.pk).update(retried_as=result.id)
    except IntegrityError:
        return None  # someone else retried it first
    return result


def jobs_to_retry(now=None):
    """Failed jobs, and jobs RUNNING for longer than JOB_STALE_AFTER (their worker died), that were
    not retried yet."""
    now = now or timezone.now()
    retried = JobRetry.objects.values("job_id")
    return DBTaskResult.objects.filter(
        Q(status="FAILED") | Q(status="RUNNING", started_at__lt=now - settings.JOB_STALE_AFTER)
    ).exclude(pk__in=retried)


def jobs_given_up(now=None):
    """Jobs to retry that used up their attempts: the sweeper leaves them; each one is an email
    that was not sent (alert CreatorCompassJobsGivenUp, the admin's "given up" filter, where
    "Retry now" re-runs them)."""
    last_attempts = JobRetry.objects.filter(attempt__gte=MAX_ATTEMPTS).values("retried_as")
    return jobs_to_retry(now).filter(pk__in=last_attempts)


def sweep(now=None):
    """Retry every job that needs it. Returns (retried, given up)."""
    retried = given_up = 0
    for job in jobs_to_retry(now):
        if job_retry(job=job, now=now):
            retried += 1
        else:
            given_up += 1
    return retried, given_up
