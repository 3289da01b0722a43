"""Every date and time a creator reads is in their own time zone: a Los Angeles creator late in
the day (16:50 on Nov 27, already 00:50 on Nov 28 in UTC) reads Nov 27 on the pages, in the API's
local dates, in the exports and in their email; the API's instants carry the offset."""

import datetime
import types

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.email import render_email
from core.testing.api import api_client_for
from core.tests.test_import_layers import product_modules
from tasks.models import ContentIdea
from tasks.services.completion import task_complete
from tasks.services.ideas import idea_create

UTC = datetime.timezone.utc
LATE_ON_NOV_27_IN_LA = datetime.datetime(2026, 11, 28, 0, 50, tzinfo=UTC)  # 16:50 PST on Nov 27


@pytest.fixture
def west_creator(roadmap):
    user = CreatorFactory(platform="youtube", timezone="America/Los_Angeles")
    Enrollment.objects.filter(user=user).update(started_on=datetime.date(2026, 11, 27))
    result = task_complete(user=user, task_id=roadmap[1].pk, now=LATE_ON_NOV_27_IN_LA)
    idea = idea_create(user=user, title="Behind the scenes")
    ContentIdea.objects.filter(pk=idea.pk).update(created_at=LATE_ON_NOV_27_IN_LA)
    user.completion = result.completion
    return user


def pages(user):
    client = Client()
    client.force_login(user)
    return client.get("/roadmap/").content.decode(), client.get("/ideas/").content.decode()


@pytest.mark.django_db
def test_pages_show_the_creators_local_date_and_time(west_creator):
    roadmap, ideas = pages(west_creator)

    assert "Completed Nov 27, 16:50." in roadmap
    assert "saved Nov 27" in ideas and "saved Nov 28" not in ideas


@pytest.mark.django_db
def test_the_api_gives_local_dates_and_instants_with_the_creators_offset(west_creator):
    api = api_client_for(west_creator)

    day_1 = api.get("/api/v1/roadmap").json()["days"][0]
    (idea,) = api.get("/api/v1/ideas").json()

    assert west_creator.completion.local_date == datetime.date(2026, 11, 27)
    assert day_1["date"] == "2026-11-27" and day_1["tasks"][0]["completed_at"] == "2026-11-27T16:50:00-08:00"
    assert datetime.datetime.fromisoformat(day_1["tasks"][0]["completed_at"]) == LATE_ON_NOV_27_IN_LA  # the same instant
    assert idea["created_at"].startswith("2026-11-27T16:50:00-08:00")


@pytest.mark.django_db
def test_the_export_and_the_email_agree_with_the_pages(west_creator):
    csv = api_client_for(west_creator).post("/api/v1/exports", {"format": "csv"}, format="json").content.decode()
    payment = types.SimpleNamespace(amount=9.99, currency="usd", plan=None, paid_at=LATE_ON_NOV_27_IN_LA,
                                    hosted_invoice_url="")
    email = render_email("receipt", {"user": west_creator, "payment": payment, "billing_url": "/billing/"},
                         to=west_creator.email)

    assert "2026-11-27T16:50:00-08:00" in csv
    assert "on November 27, 2026" in email.body


@pytest.mark.django_db
def test_other_people_read_utc_and_the_zone_does_not_leak_into_the_next_request(west_creator, roadmap):
    utc_creator = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=utc_creator).update(started_on=datetime.date(2026, 11, 27))
    task_complete(user=utc_creator, task_id=roadmap[1].pk, now=LATE_ON_NOV_27_IN_LA)

    pages(west_creator)
    roadmap_page, _ = pages(utc_creator)

    assert "Completed Nov 28, 00:50." in roadmap_page


@pytest.mark.django_db
def test_without_the_middleware_the_page_is_in_utc(west_creator, settings):
    """Planted defect: no request activates the creator's zone (the middleware removed): the
    page says Nov 28, which the first test forbids."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "accounts.middleware.CreatorTimezoneMiddleware"]

    roadmap_page, ideas = pages(west_creator)

    assert "Completed Nov 28, 00:50." in roadmap_page and "saved Nov 28" in ideas


@pytest.mark.django_db
def test_an_api_request_leaves_no_zone_behind(west_creator):
    """IsCreator activates the zone inside DRF; the middleware must still deactivate it.
    Planted defect: the activation not recorded for the middleware (the zone stays for the
    next request on this thread): fails."""
    api_client_for(west_creator).get("/api/v1/me")

    assert timezone.get_current_timezone_name() == "UTC"


@pytest.mark.django_db
def test_a_request_that_activated_no_zone_does_not_deactivate_one(monkeypatch):
    """Deactivating touches an asgiref Local (4 us a request for nothing). Planted defect: the
    middleware deactivates unconditionally: fails."""
    calls = []
    monkeypatch.setattr(timezone, "deactivate", lambda: calls.append(1))

    assert Client().get("/healthz").status_code == 200
    assert calls == []


def test_requests_activate_a_zone_only_through_the_middlewares_helper():
    """The middleware deactivates only a zone it knows was activated: a request activating one
    any other way would leave it for the next request on the thread. Planted defect: a view
    calling timezone.activate itself: fails (it names the file)."""
    callers = sorted(path for _, path, source in product_modules() if "timezone.activate(" in source)

    assert callers == ["accounts/middleware.py"]
