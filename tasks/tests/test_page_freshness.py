"""The roadmap and the dashboard build their cards from parts a process keeps (tasks.selectors.
task_html, per catalogue version) and from what each request reads: whatever a worker keeps, the
next page shows a content load, a plan change and the request's own form fields at once, and a
task's text escaped. (A completion showing at once: test_pages.py.)"""

import datetime
import re
import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from billing.services.grants import entitlement_grant
from core.catalog import catalogue_changed
from tasks.models import RoadmapTask

HTMX = {"HTTP_HX_REQUEST": "true"}


def _card(html, task):
    """The task's card (its <article>) in a page."""
    at = html.index(f'id="task-{task.pk}"')
    return html[html.rindex("<article", 0, at) : html.index("</article>", at)]


def _creator_on_day(day, **kwargs):
    user = CreatorFactory(platform="youtube", timezone="UTC", **kwargs)
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=day - 1))
    client = Client()
    client.force_login(user)
    return user, client


def _warm(client):
    # Both pages seen first: whatever a worker keeps is filled before the change.
    for page in ("/roadmap/", "/dashboard/"):
        assert client.get(page).status_code == 200


@pytest.mark.django_db
def test_an_upgrade_unlocks_days_31_to_90_on_the_next_pages(roadmap):
    user, browser = _creator_on_day(31)
    _warm(browser)
    for page in ("/roadmap/", "/dashboard/"):
        locked = _card(browser.get(page).content.decode(), roadmap[31])
        assert "task-locked" in locked and "Upgrade to Pro" in locked and "Mark complete" not in locked

    entitlement_grant(user=user, plan_code="pro")

    for page in ("/roadmap/", "/dashboard/"):
        html = browser.get(page).content.decode()
        for day in (31, 90) if page == "/roadmap/" else (31,):
            card = _card(html, roadmap[day])
            assert "task-locked" not in card and "Upgrade to Pro" not in card and "Mark complete" in card
    assert 'class="day day-locked"' not in browser.get("/roadmap/").content.decode()


@pytest.fixture
def content_copy(tmp_path):
    """A copy of the repo's content (load_content --base-dir reads it) to edit."""
    for path in ("billing/content", "milestones/content", "tasks/content"):
        shutil.copytree(settings.BASE_DIR / path, tmp_path / path)
    return tmp_path


@pytest.mark.django_db
def test_a_content_load_shows_its_new_text_on_the_next_pages(content_copy):
    call_command("load_content", verbosity=0)
    day_one = RoadmapTask.objects.get(platform="youtube", day=1, order=1)
    user, browser = _creator_on_day(1)
    _warm(browser)
    youtube = content_copy / "tasks/content/youtube.yaml"
    edited = youtube.read_text(encoding="utf-8").replace(
        f"title: {day_one.title}\n", "title: Write the promise & read it aloud\n", 1
    )
    youtube.write_text(edited, encoding="utf-8")

    call_command("load_content", base_dir=str(content_copy), verbosity=0)

    for page in ("/roadmap/", "/dashboard/"):
        card = _card(browser.get(page).content.decode(), day_one)
        assert "Write the promise &amp; read it aloud" in card and day_one.title not in card


@pytest.mark.django_db
def test_a_task_title_with_markup_comes_out_escaped_on_every_page_that_shows_it(roadmap):
    RoadmapTask.objects.filter(pk=roadmap[1].pk).update(
        title='<script>alert("day 1")</script>', why="<b>bold</b> & more"
    )
    catalogue_changed()  # update() sends no signal
    user, browser = _creator_on_day(1)

    pages = [browser.get(page).content.decode() for page in ("/roadmap/", "/dashboard/")]
    pages.append(browser.post(f"/roadmap/tasks/{roadmap[1].pk}/complete/", {"quality": "4"}, **HTMX).content.decode())

    for html in pages:
        card = _card(html, roadmap[1])
        assert '&lt;script&gt;alert(&quot;day 1&quot;)&lt;/script&gt;' in card and "<script" not in card
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in card


@pytest.mark.django_db
def test_each_page_s_completion_forms_carry_that_request_s_csrf_token_and_path(roadmap):
    """The forms' hidden fields are the request's own (kept for the request's cards, never
    across requests): each creator's token passes the CSRF check, and `next` is the page's
    path, escaped."""
    first, first_browser = _creator_on_day(2)
    second, second_browser = _creator_on_day(2)
    for browser in (first_browser, second_browser):
        browser.handler.enforce_csrf_checks = True

    browsers = (first_browser, second_browser)
    pages = {browser: browser.get('/dashboard/?from="><b>x</b>').content.decode() for browser in browsers}
    assert pages[second_browser].count('name="next" value="/dashboard/?from=%22%3E%3Cb%3Ex%3C/b%3E"') == 1
    roadmap_page = second_browser.get("/roadmap/").content.decode()
    assert 'name="next" value="/roadmap/"' in _card(roadmap_page, roadmap[3])

    for browser, html in pages.items():
        [token] = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', _card(html, roadmap[2])))
        form = {"quality": "4", "csrfmiddlewaretoken": token}
        assert browser.post(f"/roadmap/tasks/{roadmap[2].pk}/complete/", form).status_code == 302
