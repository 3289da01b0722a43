"""The reminder job decides again at send time, sends once, and every email can be stopped."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import CreatorProfile, CreatorStats, Enrollment
from accounts.services import profile_update
from core.models import SentEmail
from core.testing.jobs import run_queued_jobs
from reminders.models import ReminderSchedule
from reminders.services import reminders_queue_due
from reminders.tests.factories import creator_with_reminder
from tasks.services.completion import task_complete


def due_now(user, kind="daily"):
    """Put the creator's `kind` reminder on today's date, due a minute ago."""
    now = timezone.now()
    ReminderSchedule.objects.filter(user=user, kind=kind).update(
        due_on=timezone.localdate(now, timezone=user.profile.tzinfo), due_at=now - datetime.timedelta(minutes=1))


def reminder_mail():
    return [message for message in mail.outbox if message.tags[0].startswith("reminder_")]


def reminder_results():
    return [job.return_value for job in run_queued_jobs() if job.task_path.endswith("send_reminder")]


@pytest.fixture
def creator(roadmap):
    user = creator_with_reminder(timezone="Europe/Berlin", streak_nudge=False)
    Enrollment.objects.filter(user=user).update(started_on=timezone.localdate(timezone=user.profile.tzinfo))
    run_queued_jobs()  # the signup emails
    mail.outbox.clear()
    return user


@pytest.mark.django_db
def test_the_daily_reminder_links_to_todays_task_and_can_be_stopped_in_one_click(creator, roadmap):
    due_now(creator)
    assert reminders_queue_due().queued == 1

    assert reminder_results() == ["sent"]
    [message] = mail.outbox
    assert message.subject == f"Day 1: {roadmap[1].title}" and "#day-1" in message.body
    stop = re.search(r"http://testserver(/reminders/stop/\S+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{stop}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert Client().get(stop).status_code == 200 and CreatorProfile.objects.get(user=creator).reminder_at is not None
    response = Client(enforce_csrf_checks=True).post(stop, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert CreatorProfile.objects.get(user=creator).reminder_at is None
    assert not ReminderSchedule.objects.filter(user=creator).exists()
    assert Client().post(stop[:-3] + "xx/").status_code == 404  # a tampered link stops nothing


@pytest.mark.django_db
def test_a_task_completed_between_queueing_and_sending_stops_the_email(creator, roadmap):
    due_now(creator)
    reminders_queue_due()
    task_complete(user=creator, task_id=roadmap[1].pk)

    assert reminder_results() == ["skipped: done"]
    assert reminder_mail() == []


@pytest.mark.django_db
def test_turning_reminders_off_after_queueing_stops_the_email(creator):
    due_now(creator)
    reminders_queue_due()
    profile_update(user=creator, reminder_at=None)

    assert reminder_results() == ["skipped: off"]
    assert reminder_mail() == []


@pytest.mark.django_db
def test_a_job_run_twice_or_after_a_killed_worker_sends_once(creator):
    """A worker killed after the provider accepted the email leaves the job RUNNING; the sweeper
    runs it again: the send key is already recorded as sent."""
    due_now(creator)
    reminders_queue_due()
    from django_tasks_db.models import DBTaskResult

    [job] = DBTaskResult.objects.filter(task_path__endswith="send_reminder")
    assert reminder_results() == ["sent"]
    DBTaskResult.objects.filter(pk=job.pk).update(status="READY", finished_at=None)

    assert reminder_results() == ["duplicate"]
    assert len(mail.outbox) == 1 and SentEmail.objects.filter(key__startswith="reminder:").count() == 1


@pytest.mark.django_db
def test_the_streak_nudge_goes_when_the_streak_is_at_risk_and_not_once_it_is_saved(creator, roadmap):
    profile_update(user=creator, streak_nudge=True)
    today = timezone.localdate(timezone=creator.profile.tzinfo)
    CreatorStats.objects.filter(user=creator).update(
        current_streak=4, longest_streak=4, last_active_on=today - datetime.timedelta(days=1))
    due_now(creator, kind="streak")
    reminders_queue_due()
    assert reminder_results() == ["sent"]
    assert mail.outbox[0].subject == "Your 4-day streak ends at midnight"

    CreatorStats.objects.filter(user=creator).update(last_active_on=today)
    SentEmail.objects.all().delete()
    from reminders.models import ReminderClaim
    ReminderClaim.objects.all().delete()
    due_now(creator, kind="streak")
    reminders_queue_due()
    assert reminder_results() == []  # not at risk: not even queued


@pytest.mark.django_db
def test_the_settings_page_saves_a_time_in_15_minute_steps(creator):
    client = Client()
    client.force_login(creator)
    assert client.get("/settings/reminders/").status_code == 200

    assert client.post("/settings/reminders/", {"reminder_at": "07:45", "streak_nudge": "on"}).status_code == 302
    assert CreatorProfile.objects.get(user=creator).reminder_at == datetime.time(7, 45)
    assert set(ReminderSchedule.objects.filter(user=creator).values_list("kind", flat=True)) == {"daily", "streak"}
    assert client.post("/settings/reminders/", {"reminder_at": "07:40"}).status_code == 400
    assert CreatorProfile.objects.get(user=creator).reminder_at == datetime.time(7, 45)


@pytest.mark.django_db
def test_the_api_reads_and_changes_the_preferences(creator):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(creator)
    body = client.patch("/api/v1/reminders", {"reminder_at": "06:30", "streak_nudge": False}, format="json").json()
    assert (body["reminder_at"], body["streak_nudge"], [n["kind"] for n in body["next"]]) == ("06:30", False, ["daily"])
    assert client.patch("/api/v1/me", {"reminder_at": "06:10"}, format="json").status_code == 400
    assert client.get("/api/v1/me").json()["profile"]["reminder_at"] == "06:30"
    assert client.patch("/api/v1/me", {"reminder_at": None}, format="json").json()["profile"]["reminder_at"] is None
    assert client.get("/api/v1/reminders").json()["next"] == []


@pytest.mark.django_db
def test_the_scheduler_command_once_queues_what_is_due(creator):
    import io

    from django.core.management import call_command

    due_now(creator)
    out = io.StringIO()
    call_command("reminders_scheduler", "--once", stdout=out)
    call_command("reminders_scheduler", "--once", stdout=out)

    first, second = out.getvalue().splitlines()
    assert "queued=1" in first and "queued=0" in second
    assert reminder_results() == ["sent"]
