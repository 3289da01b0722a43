import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import CreatorStats, Enrollment
from accounts.tests.factories import CreatorFactory
from billing.tests.factories import EntitlementFactory
from milestones.models import Celebration, MilestoneAchievement
from tasks import audit
from tasks.services import task_complete
from usage.models import UsageCounter


@pytest.fixture
def creator(roadmap):
    user = CreatorFactory()
    Enrollment.objects.filter(user=user).update(started_on=datetime.date.today())
    for day in (1, 2):
        task_complete(user=user, task_id=roadmap[day].pk)
    return user


def checks(breaches):
    return sorted({b.check for b in breaches})


@pytest.mark.django_db
def test_a_consistent_database_has_no_breach(creator):
    assert audit.audit() == []
    call_command("audit_integrity")


@pytest.mark.django_db
def test_drifted_stats_and_missing_achievements_are_found_and_fixed(creator):
    CreatorStats.objects.filter(user=creator).update(points=999, tasks_completed=7)
    MilestoneAchievement.objects.filter(user=creator).delete()

    found = audit.audit()

    assert checks(found) == ["crossed_threshold_has_achievement", "stats_equal_completions"]
    assert {b.ids["user_id"] for b in found} == {creator.pk}
    with pytest.raises(CommandError, match="integrity breach"):
        call_command("audit_integrity")

    call_command("audit_integrity", "--fix")

    stats = CreatorStats.objects.get(user=creator)
    assert (stats.points, stats.tasks_completed) == (32, 2)
    assert MilestoneAchievement.objects.filter(user=creator, milestone__code="tasks-1").exists()
    assert Celebration.objects.filter(user=creator).count() == MilestoneAchievement.objects.filter(user=creator).count()


@pytest.mark.django_db
def test_an_achievement_without_celebration_is_a_breach(creator):
    Celebration.objects.filter(user=creator).delete()
    assert checks(audit.audit()) == ["achievement_has_celebration"]


@pytest.mark.django_db
def test_a_counter_above_the_free_limit_is_a_breach_unless_the_plan_changed_in_the_period(creator):
    counter = UsageCounter.objects.create(user=creator, feature="ideas", period_start=datetime.date.today(),
                                          resets_at=timezone.now() + datetime.timedelta(hours=5), used=6)
    assert [b.ids["counter_id"] for b in audit.audit()] == [counter.pk]

    # A downgrade during the period keeps what was used: not a breach.
    EntitlementFactory(user=creator, plan_id="free", status="canceled")
    assert audit.audit() == []


@pytest.mark.django_db
def test_a_paid_entitlement_without_its_subscription_is_a_breach(creator):
    EntitlementFactory(user=creator, plan_id="pro", source="stripe", stripe_subscription_id="sub_gone")
    [breach] = audit.audit()
    assert breach.check == "paid_entitlement_has_subscription" and "sub_gone" in breach.detail


@pytest.mark.django_db
def test_ops_see_breaches_and_repair_them_from_the_integrity_page(creator, ops):
    from django.test import Client

    CreatorStats.objects.filter(user=creator).update(points=1)

    page = ops.get("/admin/integrity/").content.decode()
    assert "stats_equal_completions" in page and "Repair what can be derived" in page

    done = ops.post("/admin/integrity/", follow=True).content.decode()
    assert "Repaired 1 creator(s)." in done and "No breach" in done
    assert Client().get("/admin/integrity/").status_code == 302  # staff only
