"""The promises between tables that no replay derives (ops.audit_promises): each one clean on a
healthy database, each drift planted by SQL found, --fix repairing what it can and naming what
only a person can decide."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from djstripe.models import Customer, Invoice, Subscription

from accounts.models import CreatorStats
from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.services.grants import entitlement_grant
from billing.services.stripe_sync import price_for, subscription_state_apply
from billing.tests.factories import EntitlementFactory
from ops import audit, repair
from tasks.models import ContentIdea, TaskCompletion
from tasks.services.completion import task_complete
from tasks.services.enrollments import platform_enroll
from tasks.services.ideas import idea_create, idea_delete
from usage.models import UsageCounter


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory()
    for day in (1, 2):
        task_complete(user=user, task_id=roadmap[day].pk)
    return user


def found(user=None):
    return sorted((b.check, b.ids.get("counter_id")) if "counter_id" in b.ids else (b.check,)
                  for b in audit.audit() if user is None or b.ids.get("user_id") == user.pk)


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def fix():
    """audit_integrity --fix; returns the breaches it left, each with what a person decides."""
    try:
        call_command("audit_integrity", "--fix")
    except CommandError:
        pass
    return {(b.check, repair.for_a_person(b) != "") for b in audit.audit()}


def counter(user, feature):
    return UsageCounter.objects.get(user=user, feature=feature)


def stripe_customer(user):
    """dj-stripe's rows of a creator paying through an active subscription: its id."""
    customer = Customer.objects.create(id=f"cus_{user.pk}", subscriber=user, livemode=False, stripe_data={})
    Subscription.objects.create(id=f"sub_{user.pk}", customer=customer, livemode=False,
                                stripe_data={"id": f"sub_{user.pk}", "status": "active"})
    return f"sub_{user.pk}"


def paid_invoice(user, invoice_id):
    """A Payment of `user` for the invoice `invoice_id`, stored by dj-stripe too."""
    customer, _ = Customer.objects.get_or_create(id=f"cus_{user.pk}", defaults={
        "subscriber": user, "livemode": False, "stripe_data": {}})
    Invoice.objects.create(id=invoice_id, customer=customer, livemode=False, stripe_data={})
    Payment.objects.create(user=user, stripe_invoice_id=invoice_id, amount_cents=999, currency="usd",
                           paid_at=timezone.now())


@pytest.mark.django_db
def test_a_healthy_database_of_every_shape_is_clean(creator, ops):
    studio = CreatorFactory(platform="youtube")
    entitlement_grant(user=studio, plan_code="studio")
    platform_enroll(user=studio, platform="tiktok")
    for title in ("one", "two", "three"):
        idea_create(user=creator, title=title)
    idea_delete(user=creator, idea_id=ContentIdea.objects.filter(user=creator).first().pk)  # stays counted
    paying = CreatorFactory()
    EntitlementFactory(user=paying, source="stripe", stripe_subscription_id=stripe_customer(paying))
    paid_invoice(paying, "in_paid")
    # an operator's account (the ops fixture's superuser) has no profile: no creator's

    assert audit.audit() == []


@pytest.mark.django_db
def test_points_not_from_quality_are_found_and_fixed(creator):
    sql("UPDATE tasks_taskcompletion SET points = 99 WHERE user_id = %s AND quality = 3", [creator.pk])

    assert ("points_follow_quality", ) in found(creator)
    assert fix() == set()
    assert set(TaskCompletion.objects.filter(user=creator).values_list("points", flat=True)) == {16}
    assert CreatorStats.objects.get(user=creator).points == 32


@pytest.mark.django_db
def test_an_account_without_its_stats_gets_them_back_from_its_completions(creator):
    sql("DELETE FROM accounts_creatorstats WHERE user_id = %s", [creator.pk])

    assert found(creator) == [("account_has_stats",)]
    assert fix() == set()
    stats = CreatorStats.objects.get(user=creator)
    assert (stats.points, stats.tasks_completed) == (32, 2)


@pytest.mark.django_db
def test_an_account_without_its_profile_or_enrollment_is_for_a_person(creator):
    other = CreatorFactory()
    sql("DELETE FROM accounts_enrollment WHERE user_id = %s", [creator.pk])
    sql("DELETE FROM accounts_creatorprofile WHERE user_id = %s", [other.pk])

    assert found() == [("account_follows_its_platform",), ("account_has_profile",)]
    assert fix() == {("account_follows_its_platform", True), ("account_has_profile", True)}


@pytest.mark.django_db
def test_the_platforms_counter_follows_the_enrollments(creator):
    entitlement_grant(user=creator, plan_code="studio")
    platform_enroll(user=creator, platform="tiktok")
    platform_enroll(user=creator, platform="twitch")
    platforms = counter(creator, "platforms")
    assert platforms.used == 3 and found() == []

    sql("UPDATE usage_usagecounter SET used = 1 WHERE id = %s", [platforms.pk])
    assert found() == [("platforms_counter_equals_enrollments", platforms.pk)]
    assert fix() == set()
    assert counter(creator, "platforms").used == 3

    # With no counter row left there is nothing to recount: a person opens it
    sql("DELETE FROM usage_usagecounter WHERE id = %s", [platforms.pk])
    assert found() == [("platforms_counter_equals_enrollments", None)]
    assert fix() == {("platforms_counter_equals_enrollments", True)}


@pytest.mark.django_db
def test_the_ideas_counter_covers_the_ideas_saved_in_its_period(creator):
    for title in ("one", "two", "three"):
        idea_create(user=creator, title=title)
    ideas = counter(creator, "ideas")

    sql("UPDATE usage_usagecounter SET used = 0 WHERE id = %s", [ideas.pk])
    assert found() == [("ideas_counter_covers_ideas_saved", ideas.pk)]
    assert fix() == set()
    assert counter(creator, "ideas").used == 3

    # Ideas saved in no counted period: a person decides
    sql("DELETE FROM usage_usagecounter WHERE id = %s", [ideas.pk])
    assert found() == [("ideas_saved_in_a_counted_period",)]
    assert fix() == {("ideas_saved_in_a_counted_period", True)}


@pytest.mark.django_db
def test_entitlement_and_subscription_disagreeing_either_way_are_for_a_person(creator):
    subscription_id = stripe_customer(creator)
    EntitlementFactory(user=creator, source="stripe", stripe_subscription_id=subscription_id)
    assert found() == []

    # Canceled at Stripe, still Pro here
    Subscription.objects.filter(id=subscription_id).update(stripe_data={"status": "canceled"})
    assert found() == [("entitlement_follows_its_subscription",)]
    assert fix() == {("entitlement_follows_its_subscription", True)}

    # Paying at Stripe, locked out here
    Subscription.objects.filter(id=subscription_id).update(stripe_data={"status": "active"})
    sql("UPDATE billing_entitlement SET status = 'canceled' WHERE user_id = %s", [creator.pk])
    assert found() == [("paying_subscription_grants_its_plan",)]
    assert fix() == {("paying_subscription_grants_its_plan", True)}


@pytest.mark.django_db
def test_ideas_saved_on_pro_then_a_webhook_downgrade_the_same_day_is_no_breach(creator):
    # Given a Pro creator (through Stripe) who saved 7 ideas today, above the free plan's 5
    subscription_id = stripe_customer(creator)
    EntitlementFactory(user=creator, source="stripe", stripe_subscription_id=subscription_id,
                       current_period_end=timezone.now() + datetime.timedelta(days=20))
    for n in range(7):
        idea_create(user=creator, title=f"idea {n}")

    # When the subscription is canceled and the webhook applies it (a QuerySet.update())
    Subscription.objects.filter(id=subscription_id).update(stripe_data={"status": "canceled"})
    with transaction.atomic():
        subscription_state_apply(user=creator, subscription_id=subscription_id, data={
            "status": "canceled", "items": {"data": [{"price": {"id": price_for("pro", "month")},
                                                       "current_period_end": None}]}})
    assert Entitlement.objects.get(user=creator).status == "canceled"

    # Then the plan changed during the period: the 7 ideas are no breach
    assert found() == []
