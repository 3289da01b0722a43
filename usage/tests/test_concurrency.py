"""Real threads racing on PostgreSQL: limits hold and counts are exact under concurrency."""

import datetime
import io

import pytest
from django.core.management import call_command

from accounts.models import User
from accounts.services import profile_update
from core.errors import LimitReached
from core.testing.concurrency import race
from ops import audit
from usage.models import Feature, UsageCounter
from usage.services import usage_consume
from usage.tests.factories import UsageCounterFactory, creator_on, used_of

UTC = datetime.timezone.utc


def consume(user, feature):
    return consume_at(user, feature, None)


def consume_at(user, feature, now):
    try:
        usage_consume(user=user, feature=feature, now=now)
        return "counted"
    except LimitReached:
        return "refused"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_10_first_consumes_racing_to_create_the_periods_row_stop_at_the_limit(catalogue):
    creator = creator_on("free")

    results = race(10, lambda i: consume(creator, Feature.IDEAS))

    assert sorted(results) == ["counted"] * 5 + ["refused"] * 5
    assert UsageCounter.objects.filter(user=creator, feature=Feature.IDEAS).count() == 1
    assert used_of(creator, Feature.IDEAS) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_consumes_on_an_unlimited_plan_count_exactly_20(catalogue):
    creator = creator_on("studio")

    results = race(20, lambda i: consume(creator, Feature.EXPORTS))

    assert results == ["counted"] * 20 and used_of(creator, Feature.EXPORTS) == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reset_usage_running_in_3_processes_at_once_closes_each_period_once(catalogue):
    creator = creator_on("free")
    UsageCounter.objects.bulk_create(
        UsageCounterFactory.build(user=creator, period_start=datetime.date(2020, 1, 1) + datetime.timedelta(days=i), used=1)
        for i in range(60)
    )

    def run(i):
        out = io.StringIO()
        call_command("reset_usage", batch_size=7, stdout=out, stderr=io.StringIO())
        return int(out.getvalue().split("closed ")[1].split(" ")[0])

    closed_by_run = race(3, run)

    assert sum(closed_by_run) == 60
    assert not UsageCounter.objects.filter(closed_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("zone, opens_at, ends_at", [
    ("Pacific/Kiritimati", datetime.datetime(2026, 11, 28, tzinfo=UTC), datetime.datetime(2026, 11, 28, 10, tzinfo=UTC)),
    ("Etc/GMT+12", datetime.datetime(2026, 11, 28, tzinfo=UTC), datetime.datetime(2026, 11, 28, 12, tzinfo=UTC)),
])
def test_10_consumes_racing_to_open_the_period_after_a_zone_hop_stop_at_the_limit(catalogue, zone, opens_at, ends_at):
    # At the limit in UTC on Nov 27, then +14 h or −12 h: the next period opens where the UTC
    # day ended, once, whoever of the 10 gets there first.
    creator = creator_on("free", timezone="UTC")
    for _ in range(5):
        usage_consume(user=creator, feature=Feature.IDEAS, now=datetime.datetime(2026, 11, 27, 12, tzinfo=UTC))
    profile_update(user=creator, timezone=zone)
    now = opens_at + datetime.timedelta(minutes=1)

    results = race(10, lambda i: consume_at(creator, Feature.IDEAS, now))

    assert sorted(results) == ["counted"] * 5 + ["refused"] * 5
    assert list(UsageCounter.objects.filter(user=creator, feature=Feature.IDEAS).order_by("starts_at")
                .values_list("starts_at", "resets_at", "used")) == [
        (datetime.datetime(2026, 11, 27, tzinfo=UTC), opens_at, 5), (opens_at, ends_at, 5)]
    assert audit.counter_periods_overlapping() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_10_consumes_opening_a_period_in_two_zones_at_once_open_one_period(catalogue):
    # The zone changes while 10 consumes race to open the first period: half read the profile
    # before the change (UTC, Nov 27), half after (+14 h, already Nov 28). One period opens.
    creator = creator_on("free", timezone="UTC")
    users = [User.objects.select_related("profile").get(pk=creator.pk) for _ in range(10)]
    for i, user in enumerate(users):
        user.profile.timezone = "UTC" if i % 2 else "Pacific/Kiritimati"
    now = datetime.datetime(2026, 11, 27, 12, tzinfo=UTC)

    results = race(10, lambda i: consume_at(users[i], Feature.IDEAS, now))

    assert sorted(results) == ["counted"] * 5 + ["refused"] * 5
    assert UsageCounter.objects.filter(user=creator, feature=Feature.IDEAS).count() == 1
    assert audit.counter_periods_overlapping() == []
