import datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.catalog import LoadReport, upsert_by_key
from milestones.models import Celebration
from tasks.models import RoadmapTask, TaskCompletion

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory(platform="youtube", timezone="UTC", display_name="Mo")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=4))
    return user


@pytest.mark.django_db
def test_dashboard_shows_todays_task_progress_streak_and_calendar(browser, roadmap):
    html = browser.get("/dashboard/").content.decode()

    assert "Today · day 5" in html and f'id="task-{roadmap[5].pk}"' in html
    assert "0%" in html and "0/90 tasks" in html  # progress ring
    assert 'class="heatmap"' in html and html.count('class="heat heat-') >= 13 * 7
    assert "Phase 1 (Foundation), week 1" in html and "Creator plan" in html


@pytest.mark.django_db
def test_completing_with_htmx_swaps_the_card_updates_stats_and_celebrates_once(browser, creator, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[5].pk}/complete/", {"quality": "4"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="task-{roadmap[5].pk}"' in html and "✓ Done" in html
    assert 'id="stats" aria-label="Your stats" hx-swap-oob="true"' in html and ">18<" in html
    assert 'id="progress-ring"' in html and "1/90 tasks" in html
    assert "Milestone unlocked!" in html and "First step" in html
    [celebration] = Celebration.objects.filter(user=creator)
    assert f'hx-post="/celebrations/{celebration.pk}/seen/"' in html

    # The dialog reports itself shown; after that no page shows it again.
    assert browser.post(f"/celebrations/{celebration.pk}/seen/", **HTMX).status_code == 204
    assert "Milestone unlocked!" not in browser.get("/dashboard/").content.decode()


@pytest.mark.django_db
def test_completing_without_javascript_redirects_back(browser, creator, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[5].pk}/complete/", {"quality": "3", "next": "/roadmap/"})
    assert response.status_code == 302 and response.url == "/roadmap/"
    assert TaskCompletion.objects.filter(user=creator).count() == 1


@pytest.mark.django_db
def test_a_locked_day_answers_with_the_upgrade_prompt(browser, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[31].pk}/complete/", **HTMX)
    assert "See plans" in response.content.decode() and not TaskCompletion.objects.exists()
    # The card stays (the creator can still read it); the message goes into its feedback slot.
    assert response["HX-Retarget"] == f"#task-{roadmap[31].pk}-feedback" and response["HX-Reswap"] == "innerHTML"


@pytest.mark.django_db
def test_a_refusal_without_javascript_is_shown_after_the_redirect(browser, roadmap):
    response = browser.post(f"/roadmap/tasks/{roadmap[31].pk}/complete/", {"next": "/roadmap/"}, follow=True)
    assert '<li class="message message-error">Day 31 is part of the 90-day roadmap on a paid plan' in response.content.decode()
    assert not TaskCompletion.objects.exists()


@pytest.mark.django_db
def test_roadmap_page_shows_every_day_today_done_and_locked(browser, creator, roadmap):
    TaskCompletion.objects.create(user=creator, task=roadmap[1], points=16, completed_at="2026-01-01T00:00Z", local_date="2026-01-01")

    html = browser.get("/roadmap/").content.decode()

    assert html.count('<li class="day') == 90
    assert 'id="day-1"' in html and "day day-done" in html
    assert "Phase 1 · Foundation" in html and "Phase 3 · Scale" in html
    assert 'class="day day-today" id="day-5"' in html
    # An inline SVG with an accessible name, not an emoji that renders as a box without an emoji font.
    assert html.count('<svg class="icon-lock" role="img" aria-label="Locked:"') == 60 and "🔒" not in html
    assert "Upgrade to Pro" in html


@pytest.mark.django_db
def test_dashboard_and_roadmap_query_counts_do_not_grow_with_progress(browser, creator, roadmap):
    def count(path):
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    TaskCompletion.objects.create(user=creator, task=roadmap[1], points=16, completed_at="2026-01-01T00:00Z", local_date=datetime.date.today())
    # The first requests fill the process's copies of the catalogue (tasks, plans, milestones), as
    # a warm worker has them; counted are the requests after.
    count("/dashboard/"), count("/roadmap/")
    one = (count("/dashboard/"), count("/roadmap/"))
    TaskCompletion.objects.bulk_create(
        TaskCompletion(user=creator, task=roadmap[d], points=16, completed_at="2026-01-01T00:00Z", local_date=datetime.date.today() - datetime.timedelta(days=d))
        for d in range(2, 91)
    )
    ninety = (count("/dashboard/"), count("/roadmap/"))

    assert one == ninety


@pytest.mark.django_db
def test_staff_without_a_profile_are_sent_to_the_admin(catalogue):
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("ops2@example.com", "x-long-password"))
    assert client.get("/roadmap/").url == "/admin/"


def _card(html, task):
    """The task's card (its <article>) in a page."""
    at = html.index(f'id="task-{task.pk}"')
    return html[html.rindex("<article", 0, at) : html.index("</article>", at)]


@pytest.mark.django_db
def test_roadmap_day_labels_are_each_days_date(browser, creator):
    started = Enrollment.objects.get(user=creator).started_on
    html = browser.get("/roadmap/").content.decode()

    for day in (1, 2, 90):
        date = started + datetime.timedelta(days=day - 1)
        assert f'<strong>Day {day}</strong> <span class="muted">{date:%a %b} {date.day}</span>' in html


@pytest.mark.django_db
def test_a_completed_task_shows_completed_right_after_and_only_for_its_creator(browser, creator, roadmap):
    other = Client()
    other.force_login(CreatorFactory(platform="youtube", timezone="UTC"))
    Enrollment.objects.exclude(user=creator).update(started_on=datetime.date.today() - datetime.timedelta(days=4))
    for client in (browser, other):  # both pages seen first: whatever a worker keeps is warm
        client.get("/roadmap/"), client.get("/dashboard/")

    assert browser.post(f"/roadmap/tasks/{roadmap[5].pk}/complete/", {"quality": "4"}).status_code == 302

    for page in ("/roadmap/", "/dashboard/"):
        done = _card(browser.get(page).content.decode(), roadmap[5])
        assert 'class="task task-done"' in done and "✓ Done" in done and "Mark complete" not in done
        still_open = _card(other.get(page).content.decode(), roadmap[5])
        assert "task-done" not in still_open and "Mark complete" in still_open


@pytest.mark.django_db
def test_the_pages_show_the_advice_a_content_load_changed(browser, roadmap):
    """A task's advice HTML is kept per catalogue version; a content load changes the version,
    so the next page shows the new text."""
    for page in ("/roadmap/", "/dashboard/"):
        assert "Because it helps." in _card(browser.get(page).content.decode(), roadmap[5])

    with transaction.atomic():
        upsert_by_key(RoadmapTask, "code", [{"code": roadmap[5].code, "why": "Because viewers\nasked."}], LoadReport())

    for page in ("/roadmap/", "/dashboard/"):
        today = _card(browser.get(page).content.decode(), roadmap[5])
        assert "Because viewers<br>asked." in today and "Because it helps." not in today
    assert "Because it helps." in _card(browser.get("/roadmap/").content.decode(), roadmap[4])
