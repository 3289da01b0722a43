"""Exporting a creator's roadmap (metered: usage feature `exports`, per calendar month in their
time zone): an iCalendar file with one all-day event per task on its roadmap date, importable
in Google and Apple Calendar, or a CSV of their progress."""

import csv
import dataclasses
import datetime
import io
import uuid

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.catalog import Platform
from billing.plan_rules import plan_covers_day
from billing.selectors import plan_for
from core.errors import InvalidInput, NotFound
from core.transactions import durable_service
from tasks.models import RoadmapTask, TaskCompletion
from usage import services as usage_services
from usage.models import Feature

FORMATS = ("ics", "csv")
# UIDs must stay the same from one export to the next, so that importing again updates the
# events instead of duplicating them: derived from (creator, task code), nothing else.
UID_NAMESPACE = uuid.UUID("6f1c3f0e-2b7a-5d8e-9c41-0c0a5e1d7b42")
CSV_COLUMNS = [
    "day", "date", "phase", "week", "category", "minutes", "title", "status",
    "completed_at", "quality", "points", "notes",
]


@dataclasses.dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def export_input(*, user, fmt, platform, now):
    """roadmap_export's check, before its transaction: a known format; the platform defaults to
    the creator's main one."""
    if fmt not in FORMATS:
        raise InvalidInput(fields={"format": [f"Choose one of: {', '.join(FORMATS)}."]})
    return {"user": user, "fmt": fmt, "platform": platform or user.profile.platform, "now": now or timezone.now()}


@durable_service("tasks.roadmap_export", validate=export_input)
def roadmap_export(*, user, fmt, platform=None, now=None):
    """Export the roadmap of a platform the creator follows (default: their main one) as `fmt`
    ("ics" or "csv"), counted against the plan's exports per month. Raises InvalidInput (400),
    NotFound (a platform not followed), LimitReached (429)."""
    enrollment = account_selectors.enrollment_get(user=user, platform=platform)
    if enrollment is None:
        raise NotFound("You do not follow this platform's roadmap.")
    # Counted inside this transaction: if building the file fails, the export is not counted.
    usage_services.usage_consume(user=user, feature=Feature.EXPORTS, now=now)
    plan = plan_for(user, now=now)
    tasks = list(RoadmapTask.objects.filter(platform=platform, is_active=True).order_by("day", "order"))
    stem = f"creatorcompass-{platform}-roadmap"
    if fmt == "ics":
        content = _ics(user=user, enrollment=enrollment, tasks=[t for t in tasks if plan_covers_day(plan, t.day)], now=now)
        return ExportFile(f"{stem}.ics", "text/calendar; charset=utf-8", content)
    completions = {c.task_id: c for c in TaskCompletion.objects.filter(user=user, task__platform=platform)}
    local_today = account_selectors.local_today(profile=user.profile, now=now)
    content = _csv(enrollment=enrollment, tasks=tasks, completions=completions, plan=plan, tz=user.profile.tzinfo)
    return ExportFile(f"{stem}-progress-{local_today.isoformat()}.csv", "text/csv; charset=utf-8", content)


def task_date(enrollment, task):
    """Day N of the roadmap is a calendar date: the enrollment's start + N - 1."""
    return enrollment.started_on + datetime.timedelta(days=task.day - 1)


def event_uid(user, task):
    return f"{uuid.uuid5(UID_NAMESPACE, f'{user.pk}:{task.code}')}@creatorcompass"


def _alarm(task, at):
    """A VALARM at the creator's reminder time on the task's day: an all-day event starts at the
    day's local midnight, so the trigger is the time of day after its start."""
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Day {task.day}: {task.title}")
    alarm.add("trigger", datetime.timedelta(hours=at.hour, minutes=at.minute), parameters={"RELATED": "START"})
    return alarm


def _ics(*, user, enrollment, tasks, now):
    platform = Platform(enrollment.platform).label
    alarm = user.profile.reminder_at  # the creator's daily reminder time, if they chose one
    roadmap_url = f"{settings.SITE_URL}{reverse('roadmap')}?platform={enrollment.platform}"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//CreatorCompass//Roadmap export//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"CreatorCompass: {platform} roadmap")
    for task in tasks:
        day = task_date(enrollment, task)
        event = icalendar.Event()
        event.add("uid", event_uid(user, task))
        event.add("dtstamp", now)
        # A date (not a date-time) makes an all-day event: DTSTART;VALUE=DATE, DTEND the next day.
        event.add("dtstart", day)
        event.add("dtend", day + datetime.timedelta(days=1))
        event.add("summary", f"Day {task.day}: {task.title}")
        event.add(
            "description",
            f"{task.body.strip()}\n\nWhy it matters: {task.why.strip()}\n\n"
            f"How to know it worked: {task.success.strip()}\n\n"
            f"About {task.minutes} minutes. {roadmap_url}#day-{task.day}",
        )
        event.add("categories", [task.get_category_display()])
        event.add("url", f"{roadmap_url}#day-{task.day}")
        event.add("transp", "TRANSPARENT")  # a to-do for the day, not a busy slot
        if alarm is not None:
            event.add_component(_alarm(task, alarm))
        calendar.add_component(event)
    return calendar.to_ical()


def _cell(text):
    """A spreadsheet must not run what a creator typed: text starting like a formula is quoted."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(*, enrollment, tasks, completions, plan, tz):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for task in tasks:
        done = completions.get(task.pk)
        status = "done" if done else ("open" if plan_covers_day(plan, task.day) else "locked")
        writer.writerow([
            task.day, task_date(enrollment, task).isoformat(), task.phase, task.week,
            task.get_category_display(), task.minutes, _cell(task.title), status,
            done.completed_at.astimezone(tz).isoformat(timespec="seconds") if done else "",
            done.quality if done else "", done.points if done else "", _cell(done.notes) if done else "",
        ])
    # With a byte-order mark: Excel then reads it as UTF-8; other tools ignore it.
    return out.getvalue().encode("utf-8-sig")
