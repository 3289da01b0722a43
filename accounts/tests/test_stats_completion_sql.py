"""A completion's stats UPDATE (accounts.services.stats_record_completion) is hand-written SQL
(core.rawsql.Write): for every streak case it leaves the row the ORM's F()/Greatest UPDATE it
replaced left, writes no other creator's row, and what it returns is what it stored."""

import datetime

import pytest
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from accounts.models import CreatorStats
from accounts.services import StreakStep, stats_lock, stats_record_completion, streak_step
from accounts.tests.factories import CreatorFactory

TODAY = datetime.date(2026, 11, 28)
DAY = datetime.timedelta(days=1)
FIELDS = [field.attname for field in CreatorStats._meta.concrete_fields if field.attname != "user_id"]

# (the stats before, the completion's local date)
CASES = {
    "same day": ({"points": 40, "tasks_completed": 3, "current_streak": 2, "longest_streak": 5, "last_active_on": TODAY}, TODAY),
    "an earlier day (moved west)": ({"points": 40, "tasks_completed": 3, "current_streak": 2, "longest_streak": 5,
                                     "last_active_on": TODAY}, TODAY - DAY),
    "next day, the longest grows": ({"points": 90, "tasks_completed": 7, "current_streak": 5, "longest_streak": 5,
                                     "last_active_on": TODAY - DAY}, TODAY),
    "next day, the longest stays": ({"points": 90, "tasks_completed": 7, "current_streak": 2, "longest_streak": 5,
                                     "last_active_on": TODAY - DAY}, TODAY),
    "after a gap": ({"points": 60, "tasks_completed": 4, "current_streak": 4, "longest_streak": 4,
                     "last_active_on": TODAY - 3 * DAY}, TODAY),
    "the first completion": ({"points": 0, "tasks_completed": 0, "current_streak": 0, "longest_streak": 0,
                              "last_active_on": None}, TODAY),
}


def _orm_update(*, locked_stats, points, local_date):
    """The ORM UPDATE the hand-written one replaced, verbatim."""
    step = streak_step(last_active_on=locked_stats.last_active_on, local_date=local_date)
    changes = {"points": F("points") + points, "tasks_completed": F("tasks_completed") + 1}
    if step is not StreakStep.SAME_DAY:
        streak = F("current_streak") + 1 if step is StreakStep.NEXT_DAY else Value(1)
        changes.update(
            current_streak=streak, longest_streak=Greatest(F("longest_streak"), streak), last_active_on=local_date
        )
    CreatorStats.objects.filter(user_id=locked_stats.user_id).update(**changes)


def _row(user):
    stats = CreatorStats.objects.get(user=user)
    return {name: (getattr(stats, name), type(getattr(stats, name))) for name in FIELDS}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CASES))
def test_the_completion_update_stores_what_the_orm_update_stored(catalogue, case):
    before, local_date = CASES[case]
    by_sql, by_orm, bystander = CreatorFactory(), CreatorFactory(), CreatorFactory()
    CreatorStats.objects.filter(user__in=[by_sql, by_orm, bystander]).update(**before)
    untouched = _row(bystander)

    for user, write in ((by_sql, stats_record_completion), (by_orm, _orm_update)):
        with transaction.atomic():
            returned = write(locked_stats=stats_lock(user_id=user.pk), points=18, local_date=local_date)
            if write is stats_record_completion:
                stored = returned

    assert _row(by_sql) == _row(by_orm)
    assert {name: getattr(stored, name) for name in FIELDS} == {name: value for name, (value, _) in _row(by_sql).items()}
    assert _row(bystander) == untouched


def test_the_cases_cover_every_streak_step():
    assert {streak_step(last_active_on=b["last_active_on"], local_date=d) for b, d in CASES.values()} == set(StreakStep)
