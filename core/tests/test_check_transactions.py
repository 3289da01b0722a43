import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from core.models import SentEmail
from core.transaction_checks import SCENARIOS, RowDigests, run_checks, scenario
from core.transactions import durable_service


@durable_service("tests.leaky_inner")
def _leaky_inner():
    SentEmail.objects.create(key="inner", to="a@example.com", subject="inside the transaction")


def _leaky():
    # A write before the service's transaction opens: a fault after it leaves this row behind.
    SentEmail.objects.create(key="outer", to="a@example.com", subject="outside any transaction")
    _leaky_inner()


@pytest.fixture
def leaky_scenario():
    scenario("tests.leaky_inner")(lambda: _leaky)
    yield
    SCENARIOS.pop("tests.leaky_inner")


def _database_state():
    """Every table of the database, as aggregates of its row digests."""
    return RowDigests().aggregates(connection.introspection.table_names())


@pytest.mark.django_db
def test_every_real_service_is_proven_atomic_and_nothing_is_left_behind(catalogue, roadmap):
    before = _database_state()

    results = {r.service: r for r in run_checks() if not r.service.startswith("tests.")}

    assert _database_state() == before
    problems = {name: (r.result, r.detail) for name, r in results.items() if r.result not in ("ok", "skipped")}
    assert problems == {}
    assert {"accounts.user_signup", "tasks.task_complete", "milestones.celebration_seen", "usage.periods_close_batch",
            "tasks.platform_enroll", "tasks.roadmap_export", "billing.webhook.invoice_paid"} <= set(results)
    assert {name for name, r in results.items() if r.result == "skipped"} == set()
    assert {"billing.checkout_record", "billing.subscription_store", "billing.owner_account_store"} <= set(results)
    assert results["accounts.user_signup"].writes == [
        "accounts_user", "accounts_creatorprofile", "accounts_creatorstats", "accounts_enrollment", "authtoken_token",
        "django_tasks_database_dbtaskresult",
    ]
    assert results["accounts.user_signup"].compared == sorted(
        {*results["accounts.user_signup"].writes, "core_sentemail", "django_tasks_database_dbtaskresult"}
    )
    assert results["tasks.task_complete"].steps >= 4
    # Through the real webhook view: dj-stripe's delivery record and Event, then our handler's writes.
    invoice_paid = results["billing.webhook.invoice_paid"].writes
    assert invoice_paid[0] == "djstripe_webhookeventtrigger" and "djstripe_event" in invoice_paid
    assert {"billing_payment", "billing_entitlement", "django_tasks_database_dbtaskresult"} <= set(invoice_paid)
    assert "djstripe_webhookeventtrigger" not in results["billing.webhook.invoice_paid"].compared
    assert all(r.unreached == [] for r in results.values())


@pytest.mark.django_db
def test_a_write_outside_the_transaction_is_reported_as_a_leak(leaky_scenario):
    [result] = run_checks(only=["tests.leaky_inner"])

    assert result.result == "leak" and result.steps == 2
    [key] = result.rows_left["core_sentemail"]["added"]
    assert result.rows_left == {"core_sentemail": {"added": [key]}}
    assert f"after write 1 (core_sentemail): rows left: core_sentemail added {key};" in result.detail
    assert not SentEmail.objects.exists()


@pytest.mark.django_db
def test_the_command_exits_non_zero_on_a_leak_and_speaks_json(leaky_scenario, capsys):
    with pytest.raises(CommandError, match="not proven atomic: tests.leaky_inner"):
        call_command("check_transactions", "tests.leaky_inner", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["service"] == "tests.leaky_inner" and row["result"] == "leak"
    assert list(row["rows_left"]) == ["core_sentemail"] and len(row["rows_left"]["core_sentemail"]["added"]) == 1


@pytest.mark.django_db
def test_the_dev_endpoint_is_404_unless_debug(settings, leaky_scenario):
    settings.DEBUG = False
    assert Client().get("/api/dev/transactions").status_code == 404


@pytest.mark.django_db
def test_the_dev_endpoint_wants_a_staff_post_with_csrf(settings, leaky_scenario, ops):
    """It runs about a minute of database work: an <img> (a GET), a logged-out visitor or a
    cross-site form (no CSRF token) must not start it."""
    from accounts.models import User

    settings.DEBUG = True
    assert Client().get("/api/dev/transactions").status_code == 405
    assert ops.get("/api/dev/transactions").status_code == 405
    anonymous = Client().post("/api/dev/transactions", {"service": "tests.leaky_inner"})
    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "permission_denied"
    creator = Client()
    creator.force_login(User.objects.create_user("someone@example.com", "x-long-password"))
    assert creator.post("/api/dev/transactions", {"service": "tests.leaky_inner"}).status_code == 403

    staff_without_token = Client(enforce_csrf_checks=True)
    staff_without_token.force_login(User.objects.get(email="ops@example.com"))
    refused = staff_without_token.post("/api/dev/transactions", {"service": "tests.leaky_inner"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"

    [row] = ops.post("/api/dev/transactions", {"service": "tests.leaky_inner"}).json()
    assert row["service"] == "tests.leaky_inner" and row["result"] == "leak"
