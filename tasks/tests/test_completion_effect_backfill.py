"""The migration that records each stored completion's effect (tasks/migrations/0003) records
what the hot path records on a new one, under an unchanged catalogue."""

import importlib

import pytest
from django.apps import apps

from accounts.tests.factories import CreatorFactory
from tasks.models import TaskCompletion
from tasks.services.completion import task_complete

EFFECT = ("moved_to_phase", "moved_to_week", "completed_phase")
backfill = importlib.import_module("tasks.migrations.0003_i29_completion_effect").record_effects


def effects():
    return sorted(TaskCompletion.objects.values_list("id", *EFFECT))


@pytest.mark.django_db
def test_the_backfill_records_what_the_hot_path_records(roadmap):
    # Given two creators: one finished phase 1 (days 1-30), one did days 1-9 out of order
    for days in (range(1, 31), [3, 1, 2, 4, 5, 6, 9, 7, 8]):
        user = CreatorFactory()
        for day in days:
            task_complete(user=user, task_id=roadmap[day].pk)
    recorded = effects()
    assert sum(bool(phase) for _, phase, _, _ in recorded) >= 5 and any(done for *_, done in recorded)

    # When the effects are forgotten and the migration records them again, then they are the same
    TaskCompletion.objects.update(moved_to_phase=None, moved_to_week=None, completed_phase=False)
    backfill(apps, None)
    assert effects() == recorded
