import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from core.checks import outbox_check, refuse_to_start_without_the_outbox


class JobsElsewhereRouter:
    """A router that sends the job table to another database than the services' transactions."""

    def db_for_write(self, model, **hints):
        return "replica_1" if model._meta.app_label == "django_tasks_database" else None


def test_the_configured_outbox_passes():
    assert outbox_check() == []
    refuse_to_start_without_the_outbox()


@pytest.mark.django_db  # `check` runs the database checks too
def test_another_task_backend_is_refused(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    [error] = outbox_check()

    assert error.id == "core.E001" and "ImmediateBackend" in error.msg
    with pytest.raises(ImproperlyConfigured, match="core.E001"):
        refuse_to_start_without_the_outbox()
    with pytest.raises(SystemCheckError, match="core.E001"):
        call_command("check")


def test_jobs_on_another_database_alias_are_refused(settings):
    settings.DATABASE_ROUTERS = [f"{__name__}.JobsElsewhereRouter", *settings.DATABASE_ROUTERS]

    [error] = outbox_check()

    assert error.id == "core.E002" and "'replica_1'" in error.msg
    with pytest.raises(ImproperlyConfigured, match="core.E002"):
        refuse_to_start_without_the_outbox()
