"""The hot path's hand-written reads (core.rawsql) against the ORM queries they replace: the same
rows, the same values and types (on SQLite a date-time arrives without its zone and is converted), nothing
read for a creator who does not qualify."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.locks import stats_lock_following
from accounts.models import CreatorStats, Enrollment
from accounts.selectors import enrollment_get
from accounts.services import stats_lock
from accounts.tests.factories import CreatorFactory
from core.catalog import _version_select, catalogue_version
from core.models import CatalogueVersion
from billing.models import Entitlement
from billing.selectors import _entitlement_of
from billing.tests.factories import EntitlementFactory
from core.rawsql import Select, Table, Write
from milestones.models import Celebration, MilestoneAchievement
from milestones.selectors import celebrations_pending
from milestones.tests.factories import MilestoneFactory

STATS_FIELDS = [field.attname for field in CreatorStats._meta.concrete_fields]


@pytest.mark.django_db
def test_the_stats_lock_reads_the_row_the_orm_reads_only_for_a_followed_platform():
    creator = CreatorFactory(platform="youtube")
    CreatorFactory(platform="youtube")  # another creator's row must not be the one read
    CreatorStats.objects.filter(user=creator).update(
        points=42, tasks_completed=3, current_streak=2, longest_streak=5, last_active_on=datetime.date(2026, 11, 27)
    )

    with transaction.atomic():
        locked = stats_lock_following(user_id=creator.pk, platform="youtube")
        not_followed = stats_lock_following(user_id=creator.pk, platform="tiktok")
    orm = CreatorStats.objects.get(user=creator)

    assert [getattr(locked, name) for name in STATS_FIELDS] == [getattr(orm, name) for name in STATS_FIELDS]
    assert type(locked.last_active_on) is datetime.date and locked.last_active_on == datetime.date(2026, 11, 27)
    assert (locked._state.adding, locked._state.db) == (False, "default")
    assert not_followed is None


@pytest.mark.django_db
def test_pending_celebrations_from_hand_written_sql_equal_the_orms(catalogue):
    creator, other = CreatorFactory(platform="youtube"), CreatorFactory(platform="youtube")
    now = timezone.now()
    for n, (owner, seen) in enumerate([(creator, False), (creator, True), (other, False), (creator, False)]):
        achievement = MilestoneAchievement.objects.create(user=owner, milestone=MilestoneFactory(), achieved_at=now)
        celebration = Celebration.objects.create(user=owner, achievement=achievement, seen_at=now if seen else None)
        # created_at is set on insert: spread them out, the last made the oldest.
        Celebration.objects.filter(pk=celebration.pk).update(created_at=now - datetime.timedelta(minutes=n * n))

    def summary(pending):
        return [(c.id, c.created_at, c.milestone.pk) for c in pending]

    by_sql = celebrations_pending(user=creator, catalogue_version=catalogue_version())
    by_orm = celebrations_pending(user=creator)

    assert summary(by_sql) == summary(by_orm)
    assert len(by_sql) == 2 and by_sql[0].created_at < by_sql[1].created_at
    assert all(isinstance(c.created_at, datetime.datetime) and c.created_at.tzinfo is not None for c in by_sql)


@pytest.mark.django_db
def test_pending_celebrations_by_hand_written_sql_build_no_orm_query(catalogue, monkeypatch):
    """The hot path's read goes without the ORM's query building altogether (every completion
    and dashboard makes it)."""
    creator = CreatorFactory(platform="youtube")
    achievement = MilestoneAchievement.objects.create(user=creator, milestone=MilestoneFactory(), achieved_at=timezone.now())
    Celebration.objects.create(user=creator, achievement=achievement)
    version = catalogue_version()

    class NoQueries:
        def __getattr__(self, name):
            raise AssertionError(f"Celebration.objects.{name} used on the hand-written path")

    monkeypatch.setattr(Celebration, "objects", NoQueries())
    assert [c.milestone.pk for c in celebrations_pending(user=creator, catalogue_version=version)] == [achievement.milestone_id]


@pytest.mark.django_db
def test_a_statement_is_built_once_per_database_and_read_every_time(catalogue):
    """The SQL text and its converters depend on the database alone: built on the first call
    (names from the models, converters looked up), then only executed."""
    built = []

    def build(alias):
        built.append(alias)
        return _version_select(alias)

    select = Select(CatalogueVersion, build)
    tokens = [select.rows([1]) for _ in range(3)]

    assert built == ["default"]
    assert tokens == [[(catalogue_version(),)]] * 3


@pytest.mark.django_db
def test_a_write_is_built_once_per_database_and_run_every_time(catalogue):
    creator, other = CreatorFactory(), CreatorFactory()
    built = []

    def build(alias):
        built.append(alias)
        stats = Table(CreatorStats, alias)
        return (f"UPDATE {stats.name} SET {stats.column('last_active_on', qualified=False)} = %s "
                f"WHERE {stats.column('user', qualified=False)} = %s", [(stats, "last_active_on"), (stats, "user")])

    write = Write(CreatorStats, build)
    with transaction.atomic():
        stats_lock(user_id=creator.pk)
        changed = [write.execute([datetime.date(2026, 11, day), creator.pk]) for day in (1, 2, 3)]

    assert built == ["default"] and changed == [1, 1, 1]
    assert CreatorStats.objects.get(user=creator).last_active_on == datetime.date(2026, 11, 3)
    assert CreatorStats.objects.get(user=other).last_active_on is None


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_one_row_by_its_key_is_the_instance_the_orm_builds(catalogue):
    """core.rawsql.ModelRow, as the roadmap and the dashboard read the enrollment and the
    entitlement. Planted defects: the platform left out of the key (the creator's other
    enrollment comes back), the converters skipped (on SQLite the period end has no zone)."""
    creator, other = CreatorFactory(platform="youtube"), CreatorFactory(platform="youtube")
    Enrollment.objects.create(user=creator, platform="tiktok", started_on=datetime.date(2026, 11, 1))
    EntitlementFactory(user=creator, plan_id="pro", current_period_end=timezone.now() + datetime.timedelta(days=30))

    for platform in ("youtube", "tiktok"):
        read = enrollment_get(user=creator, platform=platform)
        assert _fields(read) == _fields(Enrollment.objects.get(user=creator, platform=platform))
    entitlement = _entitlement_of(creator)
    assert _fields(entitlement) == _fields(Entitlement.objects.get(user=creator))
    assert entitlement.current_period_end.tzinfo is not None and entitlement._state.adding is False
    assert enrollment_get(user=other, platform="tiktok") is None and _entitlement_of(other) is None
