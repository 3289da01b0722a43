import csv
import datetime
import io

import icalendar
import pytest

from accounts.models import Enrollment
from billing.tests.factories import EntitlementFactory
from core.errors import InvalidInput, LimitReached, NotFound
from core.faults import InjectedFault, fail_after_write
from core.testing.api import api_client_for
from tasks.models import TaskCompletion
from tasks.services.exports import CSV_COLUMNS, roadmap_export
from usage.models import Feature
from usage.tests.factories import creator_on, used_of

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 15, 12, tzinfo=UTC)
STARTED = datetime.date(2026, 1, 10)


@pytest.fixture
def creator(roadmap):
    user = creator_on("free", platform="youtube", timezone="Europe/Berlin")
    Enrollment.objects.filter(user=user).update(started_on=STARTED)
    return user


def events_of(content):
    calendar = icalendar.Calendar.from_ical(content)
    return calendar, list(calendar.walk("VEVENT"))


# --- iCalendar --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_ics_parses_with_one_all_day_event_per_task_on_its_roadmap_date(creator, roadmap):
    export = roadmap_export(user=creator, fmt="ics", now=NOW)

    calendar, events = events_of(export.content)
    assert (export.filename, export.content_type) == ("creatorcompass-youtube-roadmap.ics", "text/calendar; charset=utf-8")
    assert str(calendar["VERSION"]) == "2.0" and "CreatorCompass" in str(calendar["PRODID"])
    assert len(events) == 30  # the free plan's 30 days; locked days are not exported
    day_1, day_30 = events[0], events[-1]
    assert day_1.decoded("DTSTART") == STARTED and day_1.decoded("DTEND") == STARTED + datetime.timedelta(days=1)
    assert day_30.decoded("DTSTART") == datetime.date(2026, 2, 8)  # started_on + 29 days
    assert day_1["DTSTART"].params.get("VALUE") == "DATE"  # all-day, not a timed event
    assert str(day_1["SUMMARY"]) == f"Day 1: {roadmap[1].title}"
    assert roadmap[1].body in str(day_1["DESCRIPTION"]) and roadmap[1].why in str(day_1["DESCRIPTION"])
    assert "/roadmap/?platform=youtube#day-1" in str(day_1["URL"])
    assert all(event.decoded("DTSTART") == STARTED + datetime.timedelta(days=i) for i, event in enumerate(events))
    assert b"BEGIN:VCALENDAR\r\n" in export.content  # CRLF line endings, as RFC 5545 requires


@pytest.mark.django_db
def test_each_event_carries_an_alarm_at_the_reminder_time_and_none_without_one(creator):
    from accounts.services import profile_update

    assert not list(events_of(roadmap_export(user=creator, fmt="ics", now=NOW).content)[0].walk("VALARM"))
    profile_update(user=creator, reminder_at=datetime.time(7, 45))

    calendar, events = events_of(roadmap_export(user=creator, fmt="ics", now=NOW).content)
    alarms = [event.walk("VALARM") for event in events]
    assert all(len(alarm) == 1 for alarm in alarms) and len(alarms) == 30
    [alarm] = alarms[0]
    assert alarm.decoded("TRIGGER") == datetime.timedelta(hours=7, minutes=45)  # 07:45 on the task's day
    assert alarm["TRIGGER"].params.get("RELATED") == "START" and str(alarm["ACTION"]) == "DISPLAY"


@pytest.mark.django_db
def test_event_uids_are_stable_per_creator_and_task(creator, roadmap):
    EntitlementFactory(user=creator, plan_id="pro")
    other = creator_on("pro", platform="youtube")

    first = [str(e["UID"]) for e in events_of(roadmap_export(user=creator, fmt="ics", now=NOW).content)[1]]
    again = [str(e["UID"]) for e in events_of(roadmap_export(user=creator, fmt="ics", now=NOW).content)[1]]
    others = [str(e["UID"]) for e in events_of(roadmap_export(user=other, fmt="ics", now=NOW).content)[1]]

    assert len(first) == 90 and len(set(first)) == 90  # a paid plan exports all 90 days
    assert first == again  # importing again updates the events instead of duplicating them
    assert not set(first) & set(others)


# --- CSV ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_csv_lists_every_task_with_its_progress(creator, roadmap):
    TaskCompletion.objects.create(
        user=creator, task=roadmap[2], quality=5, notes="=HYPERLINK(\"http://evil\")", points=20,
        completed_at=datetime.datetime(2026, 1, 11, 21, tzinfo=UTC), local_date=datetime.date(2026, 1, 11),
    )

    export = roadmap_export(user=creator, fmt="csv", now=NOW)

    assert export.filename == "creatorcompass-youtube-roadmap-progress-2026-01-15.csv"
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert list(rows[0]) == CSV_COLUMNS and len(rows) == 90
    done = rows[1]
    assert (done["day"], done["date"], done["status"], done["quality"], done["points"]) == ("2", "2026-01-11", "done", "5", "20")
    assert done["completed_at"] == "2026-01-11T22:00:00+01:00"  # in the creator's time zone
    assert done["notes"].startswith("'=")  # a spreadsheet will not run it
    assert (rows[0]["status"], rows[29]["status"], rows[30]["status"]) == ("open", "open", "locked")
    assert rows[0]["title"] == roadmap[1].title and rows[0]["phase"] == "1"


# --- metering ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_three_exports_a_month_on_the_free_plan(creator):
    for fmt in ("ics", "csv", "ics"):
        roadmap_export(user=creator, fmt=fmt, now=NOW)

    with pytest.raises(LimitReached) as refused:
        roadmap_export(user=creator, fmt="csv", now=NOW)

    assert (refused.value.extra["limit"], refused.value.extra["used"]) == (3, 3)
    assert refused.value.extra["resets_at"] == datetime.datetime(2026, 1, 31, 23, tzinfo=UTC)  # Feb 1 in Berlin
    assert used_of(creator, Feature.EXPORTS) == 3


@pytest.mark.django_db
def test_bad_format_or_a_platform_not_followed_counts_nothing(creator):
    with pytest.raises(InvalidInput):
        roadmap_export(user=creator, fmt="pdf", now=NOW)
    with pytest.raises(NotFound):
        roadmap_export(user=creator, fmt="ics", platform="twitch", now=NOW)
    assert used_of(creator, Feature.EXPORTS) is None


@pytest.mark.django_db
def test_a_failure_while_building_the_file_leaves_the_counter_unchanged(creator, monkeypatch):
    roadmap_export(user=creator, fmt="csv", now=NOW)

    def broken(**kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("tasks.services.exports._ics", broken)
    with pytest.raises(RuntimeError):
        roadmap_export(user=creator, fmt="ics", now=NOW)
    with pytest.raises(InjectedFault), fail_after_write(1):
        roadmap_export(user=creator, fmt="csv", now=NOW)

    assert used_of(creator, Feature.EXPORTS) == 1


# --- the API ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_export_answers_the_file_as_an_attachment(creator):
    api = api_client_for(creator)

    ics = api.post("/api/v1/exports", {"format": "ics"}, format="json", HTTP_ACCEPT="text/calendar")
    csv_file = api.post("/api/v1/exports", {"format": "csv", "platform": "youtube"}, format="json")

    assert ics.status_code == 200 and ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == 'attachment; filename="creatorcompass-youtube-roadmap.ics"'
    assert len(events_of(ics.content)[1]) == 30
    assert csv_file.status_code == 200 and csv_file["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_file["Content-Disposition"].startswith('attachment; filename="creatorcompass-youtube-roadmap-progress-')
    assert csv_file.content.decode("utf-8-sig").startswith(",".join(CSV_COLUMNS))


@pytest.mark.django_db
def test_api_export_errors_use_the_envelope(creator):
    api = api_client_for(creator)

    bad = api.post("/api/v1/exports", {"format": "pdf"}, format="json")
    missing = api.post("/api/v1/exports", {"format": "ics", "platform": "tiktok"}, format="json")
    for _ in range(3):
        api.post("/api/v1/exports", {"format": "csv"}, format="json")
    limited = api.post("/api/v1/exports", {"format": "ics"}, format="json", HTTP_ACCEPT="text/calendar")

    assert bad.status_code == 400 and "format" in bad.json()["error"]["fields"]
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert limited.status_code == 429 and limited["Content-Type"] == "application/json"
    error = limited.json()["error"]
    assert (error["code"], error["limit"], error["used"]) == ("limit_reached", 3, 3) and error["resets_at"]
