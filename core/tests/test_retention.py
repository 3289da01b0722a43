"""Retention (core.retention, `manage.py prune_records`): what is pruned, what is kept, and why."""

import datetime
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.jobs import send_welcome_email
from accounts.tests.factories import CreatorFactory
from core.email import deliver_once, render_email
from core.job_retries import MAX_ATTEMPTS, jobs_given_up, jobs_to_retry
from core.models import IdempotencyKey, JobRetry, SentEmail

NOW = timezone.now()
LONG_AGO = NOW - datetime.timedelta(days=60)


def _job(status, finished_at=LONG_AGO):
    result = send_welcome_email.enqueue(1)
    DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=finished_at)
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db
def test_finished_jobs_go_and_a_failed_job_not_retried_stays(capsys):
    # given old jobs: one successful, one failed and retried (its retry successful), one failed that gave up
    _job("SUCCESSFUL")  # done long ago
    failed, retry = _job("FAILED"), _job("SUCCESSFUL")
    JobRetry.objects.create(job_id=failed.pk, retried_as=retry.pk, attempt=1)
    given_up = _job("FAILED")
    JobRetry.objects.create(job_id=uuid.uuid4(), retried_as=given_up.pk, attempt=MAX_ATTEMPTS)
    recent = _job("SUCCESSFUL", finished_at=NOW)

    call_command("prune_records")

    # then only the given-up job (and the record that counts its attempts) and the recent one stay
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {given_up.pk, recent.pk}
    assert list(JobRetry.objects.values_list("retried_as", flat=True)) == [given_up.pk]
    assert list(jobs_given_up()) == [given_up] and list(jobs_to_retry()) == [given_up]
    assert "jobs: 3; job_retries: 1;" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_retry_record_of_a_job_still_there_is_kept_so_the_job_is_not_retried_twice():
    # given a job that failed recently (kept) whose retry succeeded long ago (pruned)
    failed, retry = _job("FAILED", finished_at=NOW), _job("SUCCESSFUL")
    JobRetry.objects.create(job_id=failed.pk, retried_as=retry.pk, attempt=1)

    call_command("prune_records")

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [failed.pk]
    assert JobRetry.objects.count() == 1 and list(jobs_to_retry()) == []


@pytest.mark.django_db
def test_an_old_sent_email_loses_its_address_and_keeps_its_key_so_it_is_never_sent_again():
    message = render_email("password_reset", {"user": {"email": "a@example.com"}, "reset_url": "http://x/y"},
                           to="a@example.com")
    deliver_once(key="reset:1", message=message)
    deliver_once(key="reset:2", message=render_email(
        "password_reset", {"user": {"email": "b@example.com"}, "reset_url": "http://x/y"}, to="b@example.com"))
    SentEmail.objects.filter(key="reset:1").update(sent_at=LONG_AGO)

    call_command("prune_records")

    assert dict(SentEmail.objects.values_list("key", "to")) == {"reset:1": "", "reset:2": "b@example.com"}
    assert deliver_once(key="reset:1", message=message) == "duplicate"


@pytest.mark.django_db
def test_idempotency_keys_go_after_their_24_hours():
    creator = CreatorFactory()
    IdempotencyKey.objects.create(user=creator, key="old", fingerprint="f", created_at=NOW - datetime.timedelta(hours=25))
    IdempotencyKey.objects.create(user=creator, key="new", fingerprint="f", created_at=NOW)

    call_command("prune_records")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
