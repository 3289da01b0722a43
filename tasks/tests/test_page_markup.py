"""The roadmap, the dashboard and the completion's htmx answer, whole, against stored markup
(tasks/tests/markup/): how a task card or a day is built may change, what the creator's browser
gets may not, unnoticed. Per request only the CSRF token differs (and the celebration's id, which
the database picks); both are replaced by placeholders before comparing.

After a deliberate change of markup, rewrite the stored pages and read the diff:
    UPDATE_PAGE_MARKUP=1 .venv/bin/pytest -q -p no:cacheprovider tasks/tests/test_page_markup.py
"""

import datetime
import os
import re
from pathlib import Path
from unittest import mock

import pytest
from django.test import Client

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.catalog import catalogue_changed
from tasks.models import RoadmapTask, TaskCompletion
from tasks.services.completion import task_complete
from tasks.tests.factories import RoadmapTaskFactory

STORED = Path(__file__).parent / "markup"
NOW = datetime.datetime(2026, 3, 10, 15, 30, tzinfo=datetime.UTC)  # day 5 of the roadmap below
HTMX = {"HTTP_HX_REQUEST": "true"}
VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value="CSRF"'),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), '"X-CSRFToken": "CSRF"'),
    (re.compile(r"/celebrations/\d+/seen/"), "/celebrations/ID/seen/"),
]


def normalized(response):
    assert response.status_code == 200
    html = response.content.decode()
    for pattern, placeholder in VOLATILE:
        html = pattern.sub(placeholder, html)
    return html


def assert_as_stored(html, name):
    path = STORED / name
    if os.environ.get("UPDATE_PAGE_MARKUP"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if html != expected:
        at = next(i for i, (a, b) in enumerate(zip(html + "\0", expected + "\0")) if a != b)
        pytest.fail(f"{name} differs from the stored markup at {at}:\n got: {html[at - 200 : at + 200]!r}\n"
                    f"want: {expected[at - 200 : at + 200]!r}")


@pytest.fixture
def frozen():
    # Every date the pages show comes from django.utils.timezone.now (local_today, the plan's
    # period, the calendar): fixed, the pages are the same on any day the suite runs.
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def content(catalogue):
    """A 90-day YouTube roadmap with fixed ids (they are in the markup); day 5 has a second task
    whose text needs escaping and line breaks."""
    tasks = [RoadmapTaskFactory.build(pk=70_000 + day, code=f"markup-d{day:02d}", day=day) for day in range(1, 91)]
    tasks.append(RoadmapTaskFactory.build(
        pk=70_100, code="markup-d05-b", day=5, order=2, category="analyze", minutes=15,
        title='Hooks & "retention" <check>', body="Watch your last 3 videos.\nNote where viewers leave.",
        why="The first 30 s decide <most> views.", success="A list of 3 fixes & one to try next.",
    ))
    RoadmapTask.objects.bulk_create(tasks)
    catalogue_changed()  # bulk_create sends no signal
    return {task.pk: task for task in tasks}


@pytest.fixture
def creator(content, frozen):
    """A free creator on day 5 who completed days 1 to 3, one a day, and has not seen the
    milestones those unlocked; day 31 was done while on a paid plan (done and locked)."""
    user = CreatorFactory(email="markup@example.com", platform="youtube", timezone="Europe/Berlin", display_name="Mo")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date(2026, 3, 6))
    for day in (1, 2, 3):
        noon_ish = datetime.datetime(2026, 3, 5 + day, 9, day, tzinfo=datetime.UTC)
        task_complete(user=user, task_id=70_000 + day, quality=4, now=noon_ish)
    TaskCompletion.objects.create(user=user, task_id=70_031, points=16, completed_at=NOW, local_date=NOW.date())
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_roadmap_is_the_stored_markup(creator):
    assert_as_stored(normalized(creator.get("/roadmap/?platform=youtube")), "roadmap.html")


@pytest.mark.django_db
def test_the_dashboard_is_the_stored_markup(creator):
    assert_as_stored(normalized(creator.get("/dashboard/")), "dashboard.html")


@pytest.mark.django_db
def test_the_completion_answer_is_the_stored_markup(creator):
    response = creator.post("/roadmap/tasks/70100/complete/", {"quality": "5", "next": "/dashboard/"}, **HTMX)
    assert_as_stored(normalized(response), "complete.html")
