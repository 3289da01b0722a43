import datetime

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from usage.models import Feature
from usage.selectors import usage_for
from usage.services import usage_consume
from usage.tests.factories import creator_on

UTC = datetime.timezone.utc


@pytest.mark.django_db
def test_meters_show_used_limit_remaining_and_reset_in_the_creators_time_zone(catalogue):
    creator = creator_on("free", timezone="America/New_York")
    now = datetime.datetime(2026, 1, 16, 3, tzinfo=UTC)  # Jan 15, 22:00 in New York
    for _ in range(5):
        usage_consume(user=creator, feature=Feature.IDEAS, now=now)

    with CaptureQueriesContext(connection) as queries:
        usage = usage_for(creator, now=now)

    ideas = usage["ideas"]
    assert (ideas.used, ideas.limit, ideas.remaining, ideas.percent, ideas.at_limit) == (5, 5, 0, 100, True)
    assert ideas.resets_on == datetime.date(2026, 1, 16) and ideas.resets_at == datetime.datetime(2026, 1, 16, 5, tzinfo=UTC)
    assert (usage["platforms"].used, usage["platforms"].resets_at) == (1, None)
    assert (usage["exports"].used, usage["exports"].remaining) == (0, 3)
    assert usage.any_at_limit and len(queries) == 3  # entitlement, free plan, counters


@pytest.mark.django_db
def test_a_creator_above_a_lowered_limit_shows_a_full_meter(catalogue):
    creator = creator_on("pro")
    for _ in range(7):
        usage_consume(user=creator, feature=Feature.EXPORTS)
    creator.entitlement.delete()

    exports = usage_for(creator)["exports"]

    assert (exports.used, exports.limit, exports.remaining, exports.percent) == (7, 3, 0, 100)


def _render_tag(user):
    request = RequestFactory().get("/billing/")
    request.user = user
    return Template("{% load usage %}{% usage_meters %}").render(Context({"request": request}))


@pytest.mark.django_db
def test_the_meters_tag_renders_progress_bars_and_the_upgrade_link_at_the_limit(catalogue):
    creator = creator_on("free")
    for _ in range(3):
        usage_consume(user=creator, feature=Feature.EXPORTS)

    html = _render_tag(User.objects.select_related("profile").get(pk=creator.pk))

    assert 'id="usage-meters"' in html and html.count('role="progressbar"') == 3
    assert 'aria-valuenow="3"' in html and 'aria-valuemax="3"' in html and "width: 100%" in html
    # Exports: a limit the creator reached. Platforms: the one the plan includes, said neutrally.
    assert html.count("Limit reached.") == 1 and html.count("meter-full") == 1
    assert "Your plan includes 1 · <a" in html
    assert 'href="/pricing/"' in html


@pytest.mark.django_db
def test_a_brand_new_free_account_sees_its_allowance_not_a_limit_reached(catalogue):
    creator = creator_on("free")
    html = _render_tag(User.objects.select_related("profile").get(pk=creator.pk))

    assert "Limit reached" not in html and "meter-full" not in html
    assert html.count('class="meter-allowance muted"') == 1  # platforms: 1 of 1, the one chosen at signup


@pytest.mark.django_db
def test_following_every_platform_a_plan_allows_is_a_limit_reached(catalogue):
    creator = creator_on("pro")
    for _ in range(2):
        usage_consume(user=creator, feature=Feature.PLATFORMS)  # 3 of 3

    html = _render_tag(User.objects.select_related("profile").get(pk=creator.pk))

    assert html.count("Limit reached.") == 1 and "meter-allowance" not in html


@pytest.mark.django_db
def test_unlimited_meters_have_no_bar(catalogue):
    html = _render_tag(creator_on("studio"))
    assert html.count("unlimited") == 3 and 'role="progressbar"' not in html


@pytest.mark.django_db
def test_the_meters_tag_renders_nothing_for_staff_without_a_profile(catalogue):
    staff = User.objects.create_superuser("ops3@example.com", "x-long-password")
    assert _render_tag(staff).strip() == ""
