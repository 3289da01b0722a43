"""The lock order mechanism itself (core.locks) and the rule that keeps every lock going
through it. The order between the real lock functions is tested in usage/tests/test_lock_order.py."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import transaction

from core.locks import lock_declare
from core.models import SentEmail
from core.testing.lockguard import locked_table

ROOT = Path(__file__).resolve().parents[2]
_LOCKING_QUERYSET = re.compile(r"\.select_for_update\(")


def _app_sources():
    """Every module of the project's own code (apps and the settings package), tests and
    migrations aside."""
    packages = [Path(config.path) for config in apps.get_app_configs() if Path(config.path).parent == ROOT]
    for package in [*packages, ROOT / "creatorcompass"]:
        for path in package.rglob("*.py"):
            if not {"tests", "migrations"} & set(path.relative_to(package).parts):
                yield path


def test_querysets_are_locked_only_in_the_lock_modules():
    # given the project's code
    sources = list(_app_sources())
    assert ROOT / "tasks" / "services" / "completion.py" in sources  # the scan sees the apps

    # when looking for querysets locked on the spot
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name != "locks.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _LOCKING_QUERYSET.search(line)
    ]

    # then there are none: a lock outside <app>/locks.py would escape the order check
    assert offenders == []


@pytest.mark.django_db
def test_a_model_outside_the_order_cannot_be_locked_through_it():
    with transaction.atomic(), pytest.raises(ValueError, match="core.SentEmail is not in core.locks.LOCK_ORDER"):
        lock_declare(SentEmail)


@pytest.mark.parametrize(
    "sql, table",
    [
        ('UPDATE "usage_usagecounter" SET "used" = ("usage_usagecounter"."used" + 1) WHERE "id" = 1', "usage_usagecounter"),
        ('SELECT "billing_entitlement"."id" FROM "billing_entitlement" WHERE "user_id" = 1 LIMIT 1 FOR NO KEY UPDATE', "billing_entitlement"),
        (
            'SELECT "accounts_creatorstats"."id" FROM "accounts_creatorstats" INNER JOIN "accounts_enrollment" '
            'ON (1 = 1) WHERE "accounts_creatorstats"."user_id" = 1 FOR UPDATE OF "accounts_creatorstats"',
            "accounts_creatorstats",
        ),
        ('SELECT "billing_entitlement"."id" FROM "billing_entitlement" WHERE "user_id" = 1', None),
        ('INSERT INTO "usage_usagecounter" ("user_id") VALUES (1) ON CONFLICT DO NOTHING', None),
    ],
)
def test_the_guard_reads_which_table_a_statement_locks(sql, table):
    # PostgreSQL's SQL: SQLite drops FOR UPDATE, so the suite on SQLite shows the guard UPDATEs only
    assert locked_table(sql) == table
