import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, EntitlementStatus
from billing.selectors import plan_for
from billing.services.grants import entitlement_grant
from billing.tests.factories import EntitlementFactory


@pytest.mark.django_db
def test_no_entitlement_means_the_free_plan(catalogue):
    plan = plan_for(CreatorFactory())
    assert (plan.code, plan.roadmap_days) == ("free", 30)


@pytest.mark.django_db
def test_past_due_keeps_the_plan_until_the_paid_period_ends_not_the_unpaid_one(catalogue):
    user = CreatorFactory()
    now = timezone.now()
    EntitlementFactory(user=user, plan_id="studio", status=EntitlementStatus.PAST_DUE,
                       current_period_end=now + datetime.timedelta(days=30), paid_through=now + datetime.timedelta(days=2))

    assert plan_for(user, now=now).code == "studio"
    assert plan_for(user, now=now + datetime.timedelta(days=3)).code == "free"


@pytest.mark.django_db
def test_a_late_renewal_keeps_the_plan_within_the_grace_window(catalogue, settings):
    settings.BILLING_RENEWAL_GRACE_HOURS = 48
    user = CreatorFactory()
    period_end = timezone.now()
    EntitlementFactory(user=user, plan_id="pro", status=EntitlementStatus.ACTIVE, current_period_end=period_end)

    assert plan_for(user, now=period_end + datetime.timedelta(hours=47, minutes=59)).code == "pro"
    assert plan_for(user, now=period_end + datetime.timedelta(hours=48)).code == "free"


@pytest.mark.django_db
def test_ops_grant_a_plan_from_the_user_list(catalogue, ops):
    creator = CreatorFactory(email="lucky@example.com")

    form = ops.post("/admin/accounts/user/", {"action": "grant_plan", "_selected_action": [creator.pk]})
    assert form.status_code == 200 and b"Grant a plan" in form.content

    done = ops.post(
        "/admin/accounts/user/",
        {"action": "grant_plan", "_selected_action": [creator.pk], "apply": "1", "plan": "pro"},
        follow=True,
    )

    assert b"Granted pro to 1 creator" in done.content
    entitlement = Entitlement.objects.get(user=creator)
    assert (entitlement.plan_id, entitlement.status, entitlement.source) == ("pro", "active", "admin")
    assert plan_for(creator).roadmap_days == 90


@pytest.mark.django_db
def test_a_grant_replaces_the_plan_a_creator_had(catalogue):
    # given a creator whose Stripe subscription is past due
    creator = CreatorFactory()
    EntitlementFactory(user=creator, plan_id="pro", status=EntitlementStatus.PAST_DUE, source="stripe")

    # when ops grant Studio (the row is locked and updated: the lock goes through billing.locks)
    entitlement_grant(user=creator, plan_code="studio")

    # then the one entitlement row says so, until changed
    entitlement = Entitlement.objects.get(user=creator)
    assert (entitlement.plan_id, entitlement.status, entitlement.source, entitlement.current_period_end) == (
        "studio", "active", "admin", None,
    )


@pytest.mark.django_db
def test_the_landing_page_shows_the_catalogue_prices(catalogue, client):
    from billing.models import Plan

    Plan.objects.filter(code="pro").update(monthly_price_cents=1299)
    html = client.get("/").content.decode()
    assert "<h3>Pro Creator</h3>" in html and "$12.99" in html and "$9.99" not in html
