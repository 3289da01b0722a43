"""Two schedulers sweeping at once on PostgreSQL send each reminder once."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.testing.concurrency import race
from reminders.models import ReminderClaim, ReminderSchedule
from reminders.services import reminders_sweep
from reminders.tests.factories import creator_with_reminder


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_queue_each_reminder_once():
    users = [creator_with_reminder(timezone="UTC", streak_nudge=False) for _ in range(60)]
    now = timezone.now()
    ReminderSchedule.objects.update(due_on=now.date(), due_at=now - datetime.timedelta(minutes=1))

    results = race(2, lambda i: sum(r.queued for r in reminders_sweep(now=now, batch_size=7)))

    assert sum(results) == 60
    assert ReminderClaim.objects.count() == 60
    assert not ReminderClaim.objects.values("user", "kind", "local_date").annotate(n=Count("id")).filter(n__gt=1)
    jobs = DBTaskResult.objects.filter(task_path__endswith="send_reminder")
    assert sorted(job.args_kwargs["args"][0] for job in jobs) == sorted(user.pk for user in users)
    assert not ReminderSchedule.objects.filter(due_at__lte=now).exists()
