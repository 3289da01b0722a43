"""check_transactions against defects planted on purpose: deliberately leaking services and
scenarios, registered only here. Each test shows the check naming what a fault left behind, by
table and primary key; the leaked UPDATE and DELETE leave every row count as it was, so a check
that compared row counts (as this one did) passed them."""

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.jobs import send_welcome_email
from accounts.models import CreatorStats
from accounts.tests.factories import CreatorFactory
from billing import transaction_checks as billing_checks
from billing.services import stripe_sync
from core.faults import InjectedFault, fail_after_write
from core.transaction_checks import SCENARIOS, run_checks, scenario
from core.transactions import DURABLE_SERVICES, durable_service
from milestones import services as milestones_services
from tasks.models import ContentIdea
from tasks.services import ideas
from usage import transaction_checks as usage_checks

JOBS = "django_tasks_database_dbtaskresult"


@durable_service("tests.planted_idea_save")
def _idea_save(*, user):
    """The part each planted service does right: one write, in its own transaction."""
    now = timezone.now()
    ContentIdea.objects.create(user=user, title="Saved inside the transaction", created_at=now, updated_at=now)


def _points_then_idea(user):
    # Planted: the points are added before the service's transaction opens.
    CreatorStats.objects.filter(user=user).update(points=F("points") + 10)
    _idea_save(user=user)


def _idea_replaced(user, old_id):
    _idea_save(user=user)
    # Planted: the idea it replaces is deleted after the transaction, not inside it.
    ContentIdea.objects.filter(pk=old_id).delete()


def _welcome_then_idea(user):
    # Planted: the job is enqueued before the transaction opens, so no rollback takes it back.
    send_welcome_email.enqueue(user.pk)
    _idea_save(user=user)


def _callback_then_idea(user):
    # Planted: the side effect waits for whatever transaction is open, not for the service's.
    transaction.on_commit(lambda: None)
    _idea_save(user=user)


def _apology_point_on_failure(user):
    try:
        _idea_save(user=user)
    except Exception:
        # Planted: the failure handler writes outside the transaction that was rolled back, a
        # table the service writes only when it fails.
        CreatorStats.objects.filter(user=user).update(points=F("points") + 1)
        raise


def _email_claimed_unseen_then_idea(user):
    # Planted: an email claimed before the transaction opens, through the driver's own cursor,
    # which the fault injector's statement hook does not see.
    with connection.cursor() as cursor:
        cursor.cursor.execute(
            'INSERT INTO core_sentemail ("key", "to", subject, created_at, message_id) VALUES (%s, %s, %s, %s, %s)',
            [f"unseen:{user.pk}", user.email, "Unseen", connection.ops.adapt_datetimefield_value(timezone.now()), ""],
        )
    _idea_save(user=user)


@pytest.fixture
def plant():
    """Register a scenario for this test only: plant(name, make_run)."""
    names = []

    def register(name, make_run):
        scenario(name)(make_run)
        names.append(name)

    yield register
    for name in names:
        SCENARIOS.pop(name)


def _row_counts():
    """What check_transactions compared before row digests: the row count of every model's table."""
    models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
    return {m._meta.db_table: m._base_manager.count() for m in models}


def _row_counts_around_fault(run, *, write):
    """Row counts before and after run() failed right after its write number `write`."""
    before = _row_counts()
    with pytest.raises(InjectedFault), fail_after_write(write):
        run()
    transaction.set_rollback(False)  # the fault followed a statement that succeeded: keep reading
    return before, _row_counts()


@pytest.mark.django_db
def test_a_leaked_update_is_named_by_table_and_key_though_no_row_count_changes(plant):
    # given a service that adds points to the creator's stats outside its transaction
    creator = CreatorFactory()
    plant("tests.leaked_update", lambda: lambda: _points_then_idea(creator))

    # when
    [result] = run_checks(only=["tests.leaked_update"])

    # then the fault after the UPDATE leaves the stats row changed
    assert result.result == "leak" and result.rows_left == {"accounts_creatorstats": {"changed": [creator.pk]}}
    assert f"after write 1 (accounts_creatorstats): rows left: accounts_creatorstats changed {creator.pk};" in result.detail
    # and no row count moved, so counting rows could not see it
    before, after = _row_counts_around_fault(lambda: _points_then_idea(creator), write=1)
    assert before == after and CreatorStats.objects.get(user=creator).points == 10


@pytest.mark.django_db
def test_a_leaked_delete_is_named_by_table_and_key_though_no_row_count_changes(plant, catalogue):
    # given a service that saves a new idea in its transaction and deletes the old one after it
    creator = CreatorFactory()
    old = ideas.idea_create(user=creator, title="The idea it replaces")
    plant("tests.leaked_delete", lambda: lambda: _idea_replaced(creator, old.pk))

    # when
    [result] = run_checks(only=["tests.leaked_delete"])

    # then the fault after the DELETE leaves the old idea deleted (and the new one, committed, saved)
    assert result.result == "leak" and list(result.rows_left) == ["tasks_contentidea"]
    [new_id] = result.rows_left["tasks_contentidea"]["added"]
    assert result.rows_left["tasks_contentidea"] == {"added": [new_id], "removed": [old.pk]}
    assert f"after write 2 (tasks_contentidea): rows left: tasks_contentidea added {new_id}; tasks_contentidea removed {old.pk};" in result.detail
    # and no row count moved, so counting rows could not see it
    before, after = _row_counts_around_fault(lambda: _idea_replaced(creator, old.pk), write=2)
    assert before == after and not ContentIdea.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_a_job_enqueued_outside_the_transaction_is_named_by_table_and_key(plant):
    # given a service that enqueues the welcome email before its transaction opens
    creator = CreatorFactory()
    plant("tests.leaked_job", lambda: lambda: _welcome_then_idea(creator))

    # when
    [result] = run_checks(only=["tests.leaked_job"])

    # then
    assert result.result == "leak" and list(result.rows_left) == [JOBS]
    [job_id] = result.rows_left[JOBS]["added"]
    assert f"after write 1 ({JOBS}): rows left: {JOBS} added {job_id};" in result.detail


@pytest.mark.django_db
def test_an_on_commit_callback_registered_outside_the_transaction_is_a_leak(plant):
    # given a service that queues a side effect before its transaction opens
    creator = CreatorFactory()
    plant("tests.leaked_callback", lambda: lambda: _callback_then_idea(creator))

    # when
    [result] = run_checks(only=["tests.leaked_callback"])

    # then no row is left, but the callback is
    assert result.result == "leak" and result.rows_left == {}
    assert result.detail.startswith("after write 1 (tasks_contentidea): rows left: none; on-commit callbacks left: 1")


@pytest.mark.django_db
def test_a_write_made_only_when_the_service_fails_is_compared_too(plant):
    # given a service whose failure handler writes a table its successful run never writes
    creator = CreatorFactory()
    plant("tests.leaked_on_failure", lambda: lambda: _apology_point_on_failure(creator))

    # when
    [result] = run_checks(only=["tests.leaked_on_failure"])

    # then
    assert "accounts_creatorstats" not in result.compared
    assert result.result == "leak" and result.rows_left == {"accounts_creatorstats": {"changed": [creator.pk]}}


@pytest.mark.django_db
def test_the_email_outbox_is_compared_even_when_no_write_to_it_is_seen(plant):
    # given a service that claims an email behind the statement hook's back
    creator = CreatorFactory()
    plant("tests.leaked_unseen_email", lambda: lambda: _email_claimed_unseen_then_idea(creator))

    # when
    [result] = run_checks(only=["tests.leaked_unseen_email"])

    # then
    assert result.writes == ["tasks_contentidea"]
    assert result.result == "leak" and list(result.rows_left) == ["core_sentemail"]
    assert len(result.rows_left["core_sentemail"]["added"]) == 1


@pytest.mark.django_db
def test_a_scenario_whose_update_changes_nothing_is_not_proven(plant, catalogue):
    # given the payment_failed handler set up without an entitlement to mark
    creator = CreatorFactory()
    plant(
        "tests.payment_failed_without_entitlement",
        lambda: lambda: billing_checks._in_event_transaction(
            lambda: stripe_sync.entitlement_mark_past_due(
                user=creator, subscription_id="sub_check", invoice={"id": "in_check", "status": "open"},
                event_created=timezone.now(),
            )
        ),
    )

    # when
    [result] = run_checks(only=["tests.payment_failed_without_entitlement"])

    # then
    assert result.result == "no effect" and result.failed
    assert result.detail.startswith("its writes to billing_entitlement change no row")
    with pytest.raises(CommandError, match="not proven atomic: tests.payment_failed_without_entitlement"):
        call_command("check_transactions", "tests.payment_failed_without_entitlement")


def _outside_any_transaction(work):
    return work()


# Each update-only scenario: the reference its run finds its transaction through (the durable
# service, or for the webhook handler the stand-in for dj-stripe's event transaction), and the
# table its UPDATE changes.
UPDATE_ONLY = {
    "milestones.celebration_seen": (milestones_services, "celebration_seen", "milestones_celebration"),
    "milestones.achievement_share": (milestones_services, "achievement_share", "milestones_milestoneachievement"),
    "milestones.achievement_unshare": (milestones_services, "achievement_unshare", "milestones_milestoneachievement"),
    "tasks.idea_update": (ideas, "idea_update", "tasks_contentidea"),
    "usage.periods_close_batch": (usage_checks, "periods_close_batch", "usage_usagecounter"),
    "billing.webhook.payment_failed": (billing_checks, "_in_event_transaction", "billing_entitlement"),
}


@pytest.mark.django_db
def test_each_update_only_scenario_changes_the_row_its_update_targets(catalogue, roadmap):
    results = {r.service: r for r in run_checks(only=list(UPDATE_ONLY))}

    outcomes = {name: (results[name].result, table in results[name].changes) for name, (_, _, table) in UPDATE_ONLY.items()}
    assert outcomes == {name: ("ok", True) for name in UPDATE_ONLY}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(UPDATE_ONLY))
def test_an_update_only_scenario_whose_update_runs_outside_the_transaction_is_a_leak(name, catalogue, roadmap, monkeypatch):
    # given the same code without its transaction: the service run by DURABLE_SERVICES (validated,
    # then its body, not atomic), or the handler's work outside the event transaction
    module, attribute, table = UPDATE_ONLY[name]
    monkeypatch.setattr(module, attribute, DURABLE_SERVICES.get(name, _outside_any_transaction))

    # when
    [result] = run_checks(only=[name])

    # then the fault after the UPDATE leaves that one row changed
    assert result.result == "leak" and list(result.rows_left) == [table]
    [key] = result.rows_left[table]["changed"]
    assert result.rows_left[table] == {"changed": [key]}
    assert f"after write 1 ({table}): rows left: {table} changed {key};" in result.detail


# --- branches a scenario must reach (scenario(..., reaches=...)) ------------------------------

def _old_completion_scenario():
    """The completion scenario as it was: a first completion, which advances no week or phase."""
    from accounts.transaction_checks import check_creator
    from tasks.services import completion
    from tasks.transaction_checks import first_task

    creator, task = check_creator(), first_task()
    return lambda: completion.task_complete(user=creator, task_id=task.pk, quality=5)


def _old_invoice_scenario():
    """The invoice scenario as it was: an invoice line without a period, so paid_through never moves."""
    from accounts.transaction_checks import check_creator

    creator = check_creator()
    invoice = {"id": f"in_check_{creator.pk}", "amount_paid": 999, "currency": "usd", "created": 1_800_000_000,
               "lines": {"data": [{"pricing": {"price_details": {"price": "price_pro_month"}}}]}}
    return lambda: billing_checks._in_event_transaction(lambda: stripe_sync.payment_record(user=creator, invoice=invoice))


def _old_subscription_scenario():
    """The subscription scenario as it was: a first activation, which never ends anything."""
    from accounts.transaction_checks import check_creator

    creator = check_creator()
    return lambda: billing_checks._in_event_transaction(
        lambda: stripe_sync.subscription_event_apply(
            user=creator, subscription_id="sub_check", snapshot=billing_checks._subscription_data(),
            reread=billing_checks._subscription_data, event_created=timezone.now().replace(microsecond=0),
        )
    )


PLANTED_SCENARIOS = {
    "tasks.task_complete": (_old_completion_scenario,
                            ["accounts_enrollment.current_week", "accounts_enrollment.current_phase"]),
    # The old webhook scenarios also called our handlers' functions, skipping the webhook view and
    # so dj-stripe's own Event and Subscription writes.
    "billing.webhook.invoice_paid": (_old_invoice_scenario, ["djstripe_event", "billing_entitlement.paid_through"]),
    "billing.webhook.subscription": (_old_subscription_scenario,
                                     ["djstripe_event", "djstripe_subscription", "job:send_subscription_cancelled_email"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(PLANTED_SCENARIOS))
def test_a_scenario_that_misses_a_branch_it_declares_is_not_proven(name, catalogue, roadmap, monkeypatch):
    # given the scenario as it was before it declared what it must reach
    make_run, missed = PLANTED_SCENARIOS[name]
    monkeypatch.setitem(SCENARIOS, name, make_run)

    # when
    [result] = run_checks(only=[name])

    # then every fault it placed left nothing behind, and still it is not proven
    assert result.rows_left == {} and result.failed
    assert result.result == "unreached" and result.unreached == missed
    assert result.detail.startswith(f"the run never reached {', '.join(missed)}")


@pytest.mark.django_db
def test_each_real_scenario_reaches_what_it_declares(catalogue, roadmap):
    from ops.content_load import content_load

    content_load()  # a loaded database: its scenario must still write
    results = run_checks(only=list(PLANTED_SCENARIOS) + ["ops.content_load"])

    assert {r.service: (r.result, r.unreached) for r in results} == {
        name: ("ok", []) for name in [*PLANTED_SCENARIOS, "ops.content_load"]
    }


@pytest.mark.django_db
def test_a_scenario_that_writes_nothing_is_not_proven(catalogue, roadmap, monkeypatch):
    # given content loading on a database that holds the catalogue already (a second load writes nothing)
    from ops.content_load import content_load

    content_load()
    monkeypatch.setitem(SCENARIOS, "ops.content_load", lambda: content_load)

    [result] = run_checks(only=["ops.content_load"])

    assert result.result == "no writes" and result.steps == 0 and result.failed


@pytest.mark.django_db
def test_a_real_scenario_without_declared_reaches_is_not_proven(monkeypatch, catalogue):
    from core import transaction_checks

    monkeypatch.setitem(transaction_checks.REACHES, "tasks.idea_create", None)

    [result] = run_checks(only=["tasks.idea_create"])

    assert result.result == "undeclared" and result.failed


@pytest.mark.django_db
def test_celebrations_and_the_milestone_email_moved_into_on_commit_are_not_proven(catalogue, roadmap, monkeypatch):
    # given milestones_unlock with its celebration insert and its email enqueue run on commit
    from milestones.models import Celebration

    real_enqueue, real_insert = milestones_services.email_enqueue, Celebration.objects.bulk_create
    monkeypatch.setattr(Celebration.objects, "bulk_create",
                        lambda rows, **options: transaction.on_commit(lambda: real_insert(rows, **options)))
    monkeypatch.setattr(milestones_services, "email_enqueue",
                        lambda *args, **kwargs: transaction.on_commit(lambda: real_enqueue(*args, **kwargs)))

    # when
    [result] = run_checks(only=["tasks.task_complete"])

    # then no fault leaves anything (the callbacks die with the savepoint), but the check refuses it
    assert result.result == "on commit" and result.failed
    assert result.detail.startswith("registers 2 on-commit callback(s)")


@pytest.mark.django_db(transaction=True)
def test_a_database_write_inside_an_on_commit_callback_is_refused_in_tests():
    from core.testing.oncommit import OnCommitWrite

    creator = CreatorFactory()

    with pytest.raises(OnCommitWrite, match="accounts_creatorstats"):
        with transaction.atomic():
            transaction.on_commit(lambda: CreatorStats.objects.filter(user=creator).update(points=F("points") + 1))

    assert CreatorStats.objects.get(user=creator).points == 0

