"""Pages of the metered features: meters, the ideas page (htmx and plain forms), export
buttons, following and leaving platforms."""

import datetime

import pytest
from django.test import Client

from accounts.models import Enrollment, User
from tasks.models import ContentIdea
from tasks.services import ideas
from usage.models import Feature
from usage.tests.factories import creator_on, used_of

HTMX = {"HTTP_HX_REQUEST": "true"}
UPGRADE_LINK = 'href="/pricing/"'


@pytest.fixture
def creator(roadmap):
    user = creator_on("free", platform="youtube", timezone="UTC", display_name="Mo")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=2))
    return user


def save_ideas(creator, n):
    for i in range(n):
        ideas.idea_create(user=creator, title=f"Idea {i}")


# --- meters -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_dashboard_shows_a_meter_per_feature(browser, creator):
    save_ideas(creator, 2)

    html = browser.get("/dashboard/").content.decode()

    assert 'id="usage-meters"' in html and html.count('role="progressbar"') == 3
    assert 'id="meter-ideas"' in html and "2 of 5" in html and 'aria-valuenow="2"' in html
    # The one platform of the free plan is what the plan includes, not a limit the creator hit.
    assert "Limit reached." not in html and "Your plan includes 1" in html and UPGRADE_LINK in html
    assert 'href="/ideas/"' in html


# --- the ideas page ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_ideas_page_lists_ideas_with_the_form_and_the_days_meter(browser, creator, roadmap):
    ideas.idea_create(user=creator, title="Studio tour", task_id=roadmap[2].pk)

    html = browser.get("/ideas/").content.decode()

    assert "<h1>Content ideas</h1>" in html and 'id="idea-form"' in html and 'hx-post="/ideas/"' in html
    assert "Studio tour" in html and "day 2: Task for day 2" in html
    assert "1 of 5" in html and html.count('id="meter-') == 1
    assert html.count("<option value=") == 90 + 1  # the youtube roadmap's tasks and "No task"


@pytest.mark.django_db
def test_adding_with_htmx_answers_the_new_item_and_refreshes_the_meter(browser, creator, roadmap):
    response = browser.post("/ideas/", {"title": "Reply to comments live", "notes": "", "task": str(roadmap[3].pk)}, **HTMX)

    html = response.content.decode()
    idea = ContentIdea.objects.get(user=creator)
    assert response.status_code == 201 and idea.task_id == roadmap[3].pk
    assert html.startswith(f'<li class="idea" id="idea-{idea.pk}">')
    assert 'id="usage-meters"' in html and 'hx-swap-oob="true"' in html and "1 of 5" in html


@pytest.mark.django_db
def test_the_limit_with_htmx_shows_the_message_and_the_upgrade_link_next_to_the_form(browser, creator):
    save_ideas(creator, 5)

    response = browser.post("/ideas/", {"title": "Sixth", "task": ""}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#idea-form-error" and response["HX-Reswap"] == "innerHTML"
    assert "5 of your 5 ideas today" in html and UPGRADE_LINK in html and "Upgrade your plan" in html
    assert "Limit reached." in html  # the refreshed meter
    assert ContentIdea.objects.filter(user=creator).count() == 5


@pytest.mark.django_db
def test_a_blank_title_with_htmx_explains_next_to_the_form(browser, creator):
    response = browser.post("/ideas/", {"title": " ", "task": ""}, **HTMX)
    assert response["HX-Retarget"] == "#idea-form-error" and "Give your idea a title." in response.content.decode()
    assert used_of(creator, Feature.IDEAS) is None


@pytest.mark.django_db
def test_without_javascript_adding_redirects_and_the_limit_message_links_to_plans(browser, creator):
    saved = browser.post("/ideas/", {"title": "Plain form", "task": ""}, follow=True)
    assert saved.redirect_chain == [("/ideas/", 302)] and "Idea saved." in saved.content.decode()

    save_ideas(creator, 4)
    refused = browser.post("/ideas/", {"title": "Too many", "task": ""}, follow=True).content.decode()
    assert "5 of your 5 ideas today" in refused and f'<a {UPGRADE_LINK}>See plans</a>' in refused
    assert ContentIdea.objects.filter(user=creator).count() == 5


@pytest.mark.django_db
def test_editing_with_htmx_swaps_the_form_then_the_saved_item(browser, creator, roadmap):
    idea = ideas.idea_create(user=creator, title="Draft", task_id=roadmap[1].pk)

    form = browser.get(f"/ideas/{idea.pk}/edit/", **HTMX).content.decode()
    saved = browser.post(f"/ideas/{idea.pk}/edit/", {"title": "Final", "notes": "Sunday", "task": ""}, **HTMX)
    cancel = browser.get(f"/ideas/{idea.pk}/", **HTMX)

    assert form.startswith(f'<li class="idea idea-editing" id="idea-{idea.pk}">') and 'value="Draft"' in form
    assert f'<option value="{roadmap[1].pk}" selected>' in form
    assert "Final" in saved.content.decode() and "Sunday" in saved.content.decode()
    assert "Final" in cancel.content.decode()
    idea.refresh_from_db()
    assert (idea.title, idea.notes, idea.task_id) == ("Final", "Sunday", None)


@pytest.mark.django_db
def test_editing_without_javascript_has_its_own_page(browser, creator):
    idea = ideas.idea_create(user=creator, title="Draft")

    page = browser.get(f"/ideas/{idea.pk}/edit/").content.decode()
    invalid = browser.post(f"/ideas/{idea.pk}/edit/", {"title": "", "task": ""}).content.decode()
    saved = browser.post(f"/ideas/{idea.pk}/edit/", {"title": "Done", "task": ""})

    assert "<h1>Edit idea</h1>" in page and "Give your idea a title." in invalid
    assert saved.status_code == 302 and ContentIdea.objects.get(pk=idea.pk).title == "Done"


@pytest.mark.django_db
def test_deleting_with_htmx_removes_the_item(browser, creator):
    idea = ideas.idea_create(user=creator, title="Gone soon")

    response = browser.post(f"/ideas/{idea.pk}/delete/", **HTMX)

    assert response.status_code == 200 and response.content == b""
    assert not ContentIdea.objects.filter(pk=idea.pk).exists()


@pytest.mark.django_db
def test_another_creators_idea_pages_are_404(browser, roadmap):
    theirs = ideas.idea_create(user=creator_on("free", platform="youtube"), title="Not yours")

    assert browser.get(f"/ideas/{theirs.pk}/edit/").status_code == 404
    assert browser.post(f"/ideas/{theirs.pk}/edit/", {"title": "Mine now"}).status_code == 404
    assert browser.get(f"/ideas/{theirs.pk}/", **HTMX).status_code == 404
    assert browser.post(f"/ideas/{theirs.pk}/delete/", **HTMX).status_code == 404
    assert ContentIdea.objects.get(pk=theirs.pk).title == "Not yours"


@pytest.mark.django_db
def test_staff_without_a_profile_are_sent_to_the_admin_from_ideas(catalogue):
    client = Client()
    client.force_login(User.objects.create_superuser("ops9@example.com", "x-long-password"))
    assert client.get("/ideas/").url == "/admin/"


# --- roadmap: exports and platforms ---------------------------------------------------------------------

@pytest.mark.django_db
def test_the_roadmap_offers_exports_and_other_platforms(browser):
    html = browser.get("/roadmap/").content.decode()

    assert 'name="format" value="ics"' in html and 'name="format" value="csv"' in html
    assert 'action="/roadmap/export/"' in html and "Exports this month: 0 of 3" in html
    assert 'id="platform-youtube"' in html and '<span class="chip">Main</span>' in html
    assert html.count('action="/roadmap/platforms/follow/"') == 2  # TikTok and Twitch
    assert "Platforms on your plan: 1 of 1" in html and UPGRADE_LINK in html
    assert html.count('<li class="day') == 90  # the roadmap itself is unchanged


@pytest.mark.django_db
def test_the_export_buttons_download_the_file_until_the_limit(browser, creator):
    for fmt in ("ics", "csv", "ics"):
        response = browser.post("/roadmap/export/", {"format": fmt, "platform": "youtube"})
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")

    refused = browser.post("/roadmap/export/", {"format": "csv", "platform": "youtube"})
    page = browser.get(refused.url).content.decode()

    assert refused.status_code == 302 and refused.url == "/roadmap/?platform=youtube"
    assert "3 of your 3 exports this month" in page and f'<a {UPGRADE_LINK}>See plans</a>' in page
    assert used_of(creator, Feature.EXPORTS) == 3


@pytest.mark.django_db
def test_following_and_leaving_a_platform_from_the_roadmap(catalogue, roadmap):
    from billing.tests.factories import EntitlementFactory
    from tasks.tests.factories import roadmap_build

    roadmap_build("tiktok")
    creator = creator_on("free", platform="youtube")
    EntitlementFactory(user=creator, plan_id="pro")
    browser = Client()
    browser.force_login(creator)

    follow = browser.post("/roadmap/platforms/follow/", {"platform": "tiktok"})
    tiktok_page = browser.get(follow.url).content.decode()
    leave = browser.post("/roadmap/platforms/leave/", {"platform": "tiktok"}, follow=True).content.decode()

    assert follow.url == "/roadmap/?platform=tiktok"
    assert "Your TikTok roadmap" in tiktok_page and "You now follow the TikTok roadmap" in tiktok_page
    assert 'action="/roadmap/platforms/leave/"' in tiktok_page and "Platforms on your plan: 2 of 3" in tiktok_page
    assert "its slot is free again" in leave and "Platforms on your plan: 1 of 3" in leave
    assert list(Enrollment.objects.filter(user=creator).values_list("platform", flat=True)) == ["youtube"]


@pytest.mark.django_db
def test_a_free_creator_following_another_platform_sees_the_upgrade_link(browser, creator):
    page = browser.post("/roadmap/platforms/follow/", {"platform": "twitch"}, follow=True).content.decode()

    assert "Your plan lets you follow 1 platform roadmap and you follow 1." in page
    assert f'<a {UPGRADE_LINK}>See plans</a>' in page
    assert Enrollment.objects.filter(user=creator).count() == 1


@pytest.mark.django_db
def test_leaving_the_main_platform_from_a_crafted_form_is_refused(browser, creator):
    page = browser.post("/roadmap/platforms/leave/", {"platform": "youtube"}, follow=True).content.decode()
    assert "cannot be left" in page and Enrollment.objects.filter(user=creator).count() == 1
