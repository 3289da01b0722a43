import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import CreatorFactory
from core.job_retries import MAX_ATTEMPTS, backoff, job_retry, sweep
from core.models import JobRetry
from core.testing.jobs import run_queued_jobs


@pytest.fixture
def failed_job(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    CreatorFactory(email="unlucky@example.com")
    [job] = run_queued_jobs()
    assert job.status == "FAILED"
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    return job


@pytest.mark.django_db
def test_the_sweeper_retries_a_failed_job_once_with_backoff(failed_job):
    now = timezone.now()

    assert sweep(now) == (1, 0)
    assert sweep(now) == (0, 0)  # already retried

    retry = DBTaskResult.objects.exclude(pk=failed_job.pk).get()
    assert retry.task_path == failed_job.task_path and retry.args_kwargs == failed_job.args_kwargs
    assert abs(retry.run_after - (now + backoff(1))) < datetime.timedelta(seconds=1)
    assert JobRetry.objects.get(job_id=failed_job.pk).retried_as == retry.pk


@pytest.mark.django_db
def test_a_stuck_running_job_is_retried_and_the_email_goes_once(failed_job):
    DBTaskResult.objects.filter(pk=failed_job.pk).update(status="RUNNING", started_at=timezone.now() - datetime.timedelta(hours=1))
    job_retry(job=DBTaskResult.objects.get(pk=failed_job.pk), delay=False)

    run_queued_jobs()
    retry_of_retry = job_retry(job=DBTaskResult.objects.exclude(pk=failed_job.pk).get(), delay=False)
    run_queued_jobs()

    assert retry_of_retry is not None and JobRetry.objects.get(retried_as=retry_of_retry.id).attempt == 2
    assert [m.to for m in mail.outbox] == [["unlucky@example.com"]]  # the email key makes it once


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt(failed_job):
    job = failed_job
    for _ in range(MAX_ATTEMPTS):
        new = job_retry(job=job, delay=False)
        job = DBTaskResult.objects.get(pk=new.id)
        DBTaskResult.objects.filter(pk=job.pk).update(status="FAILED")
    assert job_retry(job=job) is None


@pytest.mark.django_db
def test_ops_retry_from_the_admin_and_the_command(failed_job, ops):

    response = ops.post("/admin/django_tasks_database/dbtaskresult/", {"action": "retry_jobs", "_selected_action": [failed_job.pk]}, follow=True)

    assert b"Enqueued 1 job(s) again." in response.content
    call_command("retry_jobs")  # nothing left to retry
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_a_job_left_running_by_a_killed_worker_is_retried_once_it_is_stale(failed_job, settings):
    settings.JOB_STALE_AFTER = datetime.timedelta(seconds=30)
    started = timezone.now()
    DBTaskResult.objects.filter(pk=failed_job.pk).update(status="RUNNING", started_at=started)

    assert sweep(started + datetime.timedelta(seconds=29)) == (0, 0)  # may still be running
    assert sweep(started + datetime.timedelta(seconds=31)) == (1, 0)


def _give_up(job):
    """Fail `job` and each of its retries until the sweeper stops: the job it gives up on."""
    for _ in range(MAX_ATTEMPTS):
        job = DBTaskResult.objects.get(pk=job_retry(job=job, delay=False).id)
        DBTaskResult.objects.filter(pk=job.pk).update(status="FAILED")
    return DBTaskResult.objects.get(pk=job.pk)


@pytest.mark.django_db
def test_a_job_that_gave_up_is_scraped_at_once_listed_in_the_admin_and_re_run_from_there(failed_job, ops):
    from core.job_retries import jobs_given_up
    from core.metrics import JobQueueCollector

    def given_up_gauge():
        return next(m for m in JobQueueCollector().collect() if m.name == "creatorcompass_jobs_given_up").samples[0].value

    # given a job retried until its last attempt, and failing once more
    assert given_up_gauge() == 0
    last = _give_up(failed_job)

    # then the sweeper leaves it, and the gauge the alert reads counts it at the next scrape
    assert sweep() == (0, 1) and list(jobs_given_up()) == [last]
    assert given_up_gauge() == 1
    listed = ops.get("/admin/django_tasks_database/dbtaskresult/?retries=given_up")
    assert listed.status_code == 200 and str(last.pk) in listed.content.decode()
    assert str(failed_job.pk) not in listed.content.decode()

    # when a person re-runs it from the admin
    response = ops.post("/admin/django_tasks_database/dbtaskresult/?retries=given_up",
                        {"action": "retry_jobs", "_selected_action": [last.pk]}, follow=True)

    # then it is enqueued again and no longer counted as given up
    assert b"Enqueued 1 job(s) again." in response.content
    assert given_up_gauge() == 0 and JobRetry.objects.get(job_id=last.pk).attempt == MAX_ATTEMPTS + 1
    run_queued_jobs()
    assert [m.to for m in mail.outbox] == [["unlucky@example.com"]]
