import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from usage.catalog import LIFETIME_START
from usage.models import Feature, UsageCounter
from usage.tests.factories import UsageCounterFactory, creator_on

UTC = datetime.timezone.utc


def run(**options):
    out, err = io.StringIO(), io.StringIO()
    call_command("reset_usage", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def counters(catalogue):
    """Two ended periods, one current, one lifetime."""
    creator = creator_on("free")
    today = timezone.localdate()
    return {
        "yesterday": UsageCounterFactory(user=creator, feature=Feature.IDEAS, period_start=today - datetime.timedelta(days=1), used=5),
        "last_month": UsageCounterFactory(
            user=creator, feature=Feature.EXPORTS, period_start=datetime.date(2020, 1, 1),
            resets_at=datetime.datetime(2020, 2, 1, tzinfo=UTC), used=3,
        ),
        "today": UsageCounterFactory(user=creator, feature=Feature.IDEAS, period_start=today + datetime.timedelta(days=1), used=2),
        "lifetime": UsageCounterFactory(user=creator, feature=Feature.PLATFORMS, period_start=LIFETIME_START, resets_at=None, used=1),
    }


def closed(counters):
    return {name: UsageCounter.objects.get(pk=c.pk).closed_at is not None for name, c in counters.items()}


@pytest.mark.django_db
def test_reset_usage_closes_only_the_periods_that_ended_and_keeps_their_counts(counters):
    out, _ = run()

    assert "closed 2 expired period(s)" in out
    assert closed(counters) == {"yesterday": True, "last_month": True, "today": False, "lifetime": False}
    assert sorted(UsageCounter.objects.values_list("used", flat=True)) == [1, 2, 3, 5]


@pytest.mark.django_db
def test_running_reset_usage_twice_is_harmless(counters):
    run()
    first = {c.pk: c.closed_at for c in UsageCounter.objects.all()}

    out, _ = run()

    assert "closed 0 expired period(s)" in out
    assert {c.pk: c.closed_at for c in UsageCounter.objects.all()} == first


@pytest.mark.django_db
def test_reset_usage_shows_progress_batch_by_batch_on_stderr(catalogue):
    creator = creator_on("free")
    UsageCounter.objects.bulk_create(
        UsageCounterFactory.build(user=creator, period_start=datetime.date(2020, 1, 1) + datetime.timedelta(days=i), used=1)
        for i in range(25)
    )

    out, err = run(batch_size=10)

    lines = err.strip().splitlines()
    assert [line.split("] ")[1].split(" ")[0] for line in lines] == ["10/25", "20/25", "25/25"]
    assert lines[-1].startswith("closing expired periods [") and "100%" in lines[-1]
    assert "closed 25 expired period(s)" in out
    assert not UsageCounter.objects.filter(closed_at__isnull=True).exists()


@pytest.mark.django_db
def test_reset_usage_with_nothing_to_do_prints_no_progress(catalogue):
    out, err = run()
    assert err == "" and "closed 0 expired period(s)" in out
