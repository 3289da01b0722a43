"""System checks for what the transaction rules rely on.

The transactional outbox (core.email, DESIGN.md §3.2) holds only if a job is a row written on the
same database connection as the change that causes it: django-tasks-db's backend, routed to the
default alias that every durable service's transaction runs on. Any other backend (an in-memory or
immediate one, a broker) or another alias would make the enqueue a second, independent write:
lost if the process dies after COMMIT, or sent for a change that rolled back. `manage.py` commands
run these checks before they start (runserver, db_worker, migrate …) and the WSGI entry point runs
them too, so no process of the app starts without the outbox.
"""

import contextvars

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, router

OUTBOX_TAG = "outbox"
OUTBOX_BACKEND = "django_tasks_db.DatabaseBackend"


@checks.register(OUTBOX_TAG)
def outbox_check(app_configs=None, **kwargs):
    from django_tasks_db.models import DBTaskResult

    errors = [
        checks.Error(
            f"TASKS[{alias!r}] uses {config.get('BACKEND')!r}: jobs must be rows of the application's "
            "database, enqueued in the transaction that causes them.",
            hint=f"Use {OUTBOX_BACKEND!r}.",
            id="core.E001",
        )
        for alias, config in settings.TASKS.items()
        if config.get("BACKEND") != OUTBOX_BACKEND
    ]
    # The router pins a request to the primary when asked where to write: ask in a throwaway context.
    job_alias = contextvars.copy_context().run(router.db_for_write, DBTaskResult)
    if job_alias != DEFAULT_DB_ALIAS:
        errors.append(
            checks.Error(
                f"Jobs are written to the database {job_alias!r}, the services' transactions to "
                f"{DEFAULT_DB_ALIAS!r}: a job would not commit or roll back with the change that causes it.",
                hint="Route django_tasks_db's models to the default database.",
                id="core.E002",
            )
        )
    return errors


def refuse_to_start_without_the_outbox():
    """Raise ImproperlyConfigured when an outbox check fails (for entry points that, unlike
    manage.py, run no system checks: the WSGI application)."""
    from django.core.exceptions import ImproperlyConfigured

    errors = [message for message in checks.run_checks(tags=[OUTBOX_TAG]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in errors))


_PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.security, deploy=True)
def shared_cache_check(app_configs=None, **kwargs):
    """Throttle counters and the login lockout's limits live in the default cache: a cache of
    one process gives each gunicorn worker its own counters (10 password resets got through a
    limit of 5 with 3 workers)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in _PER_PROCESS_CACHES and settings.WEB_CONCURRENCY > 1:
        return [
            checks.Error(
                f"The default cache ({backend}) is per process, with WEB_CONCURRENCY="
                f"{settings.WEB_CONCURRENCY} workers: each worker would count throttles on its own.",
                hint="Set REDIS_URL (or unset CACHE_URL for the database cache), or WEB_CONCURRENCY=1.",
                id="core.E003",
            )
        ]
    return []
