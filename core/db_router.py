"""Read replicas: reads go to a replica, except what must see the primary.

A request (or job, or command) that has written to the primary reads from the primary for the
rest of its life, so a creator always sees their own change; reads inside a transaction go to
the primary too (they may lock, and must see the transaction's own writes). `pin_to_primary`
marks that moment; `RequestContextMiddleware` starts each request unpinned.
"""

import contextvars
import random

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_pinned = contextvars.ContextVar("pinned_to_primary", default=False)


def unpin():
    return _pinned.set(False)


def reset(token):
    _pinned.reset(token)


class ReplicaRouter:
    def db_for_write(self, model, **hints):
        _pinned.set(True)
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model, **hints):
        if _pinned.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block or not settings.DATABASE_REPLICAS:
            return DEFAULT_DB_ALIAS
        return random.choice(settings.DATABASE_REPLICAS)

    def allow_relation(self, obj1, obj2, **hints):
        return True  # replicas hold the same data as the primary

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS
