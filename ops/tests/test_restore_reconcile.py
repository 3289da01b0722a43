"""manage.py reconcile_after_restore against the Stripe emulator holding what the restored
database lost, and the send ledger holding what already left."""

import datetime
import io
import time
import types

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from djstripe.models import Customer, Event, WebhookEventTrigger

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.services import checkout, restore_reconcile
from billing.tests import stripe_objects as so
from billing.tests.conftest import deliver, webhook_endpoint  # noqa: F401 (fixtures)
from core.models import SentEmail
from core.send_ledger import ledger_record
from core.testing.jobs import run_queued_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(catalogue):
    return CreatorFactory(email="payer@example.com")


@pytest.fixture
def customer_id(creator, emulator):
    return checkout.customer_for(creator).id


@pytest.fixture
def ledger(settings, tmp_path):
    settings.EMAIL_SEND_LEDGER = str(tmp_path / "email-send-ledger.sqlite3")


@pytest.fixture
def restore_point():
    """A minute ago: what Stripe made since is what the restored database lost."""
    return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)


def _reconcile(since):
    out = io.StringIO()
    call_command("reconcile_after_restore", "--since", since.isoformat(), stdout=out)
    return out.getvalue()


def _receipts():
    return sum("receipt" in message.subject for message in mail.outbox)


def _before(restore_point, obj):
    """`obj` as made before the restore point (the restored database knew it)."""
    return {**obj, "created": int(restore_point.timestamp()) - 3600}


def test_every_page_of_what_stripe_made_since_is_applied_once(creator, customer_id, emulator, deliver, restore_point,
                                                              monkeypatch):
    monkeypatch.setattr(restore_reconcile, "PAGE_SIZE", 2)
    sub = emulator.put(so.subscription("sub_since", customer_id, plan="studio"))
    paid = [emulator.put(so.invoice(f"in_since_{n}", customer_id, sub["id"], plan="studio")) for n in range(5)]
    emulator.put(_before(restore_point, so.invoice("in_older", customer_id, sub["id"], plan="studio")))

    output = _reconcile(restore_point)

    entitlement = Entitlement.objects.get(user=creator)
    assert (entitlement.plan_id, entitlement.status) == ("studio", "active")
    assert entitlement.stripe_subscription_id == "sub_since"
    assert sorted(Payment.objects.values_list("stripe_invoice_id", flat=True)) == sorted(i["id"] for i in paid)
    pages = emulator.calls("GET", "/v1/invoices")
    since = {"gte": str(int(restore_point.timestamp()))}
    assert len(pages) == 3 and all(page["params"]["created"] == since for page in pages)
    assert "5 payment(s) recorded" in output

    # Idempotent: again, and a webhook Stripe delivers late, change nothing.
    _reconcile(restore_point)
    assert deliver(so.event("invoice.paid", paid[0])).status_code == 200
    assert Payment.objects.count() == 5


def test_a_cancellation_since_the_restore_point_that_made_no_invoice_is_applied(creator, customer_id, emulator,
                                                                               deliver, restore_point):
    sub = emulator.put(_before(restore_point, so.subscription("sub_old", customer_id, plan="pro")))
    assert deliver(so.event("customer.subscription.created", sub, created=sub["created"])).status_code == 200
    assert Entitlement.objects.get(user=creator).status == "active"  # what the restored database says
    emulator.put({**sub, "status": "canceled", "canceled_at": int(time.time()), "ended_at": int(time.time())})

    _reconcile(restore_point)

    entitlement = Entitlement.objects.get(user=creator)
    assert (entitlement.status, entitlement.stripe_subscription_id) == ("canceled", "sub_old")


def test_a_customer_the_restore_lost_is_stored_and_one_without_a_creator_is_listed(catalogue, emulator, restore_point):
    known = CreatorFactory(email="known@example.com")
    emulator.put(so.customer("cus_lost", known))
    emulator.put(so.subscription("sub_lost", "cus_lost", plan="pro"))
    gone = types.SimpleNamespace(pk=987654, email="gone@example.com")  # signed up after the restore point
    emulator.put(so.customer("cus_gone", gone))

    output = _reconcile(restore_point)

    assert Customer.objects.get(id="cus_lost").subscriber == known
    assert Entitlement.objects.get(user=known).plan_id == "pro"
    assert "Stripe customer cus_gone <gone@example.com> has no creator here" in output


def test_a_receipt_that_left_before_the_loss_is_not_sent_again(creator, customer_id, emulator, deliver, ledger,
                                                              restore_point):
    """The planted resend: the paid invoice's webhook and receipt happened, then the database was
    restored to before them. Reconciling records the payment again and enqueues its receipt;
    the job finds it in the send ledger."""
    sub = emulator.put(_before(restore_point, so.subscription("sub_paid", customer_id, plan="pro")))
    invoice = emulator.put(so.invoice("in_paid", customer_id, sub["id"]))
    assert deliver(so.event("invoice.paid", invoice)).status_code == 200
    run_queued_jobs()
    assert _receipts() == 1
    # What a restore to before the delivery forgets.
    for model in (Payment, SentEmail, Event, WebhookEventTrigger):
        model.objects.all().delete()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()

    _reconcile(restore_point)
    assert Payment.objects.filter(stripe_invoice_id="in_paid").exists()
    run_queued_jobs()

    assert _receipts() == 1


def test_the_creators_active_since_are_listed_with_what_they_see(creator, roadmap, ledger, emulator, restore_point):
    from tasks.services.completion import task_complete

    task_complete(user=creator, task_id=roadmap[1].pk, quality=5)  # survived the restore: 20 points
    ledger_record(key="milestone:3", to=creator.email, subject="You reached 5 tasks", message_id="m1")
    ledger_record(key="welcome:99", to="new@example.com", subject="Welcome to CreatorCompass", message_id="m2")

    output = _reconcile(restore_point)

    assert "payer@example.com (id" in output and "they see 20 points, 1 tasks" in output
    assert "emailed" in output and "You reached 5 tasks" in output
    assert "new@example.com (id -): their account was created after the restore point" in output


def test_a_time_without_its_offset_is_refused(db):
    with pytest.raises(CommandError, match="with its offset"):
        call_command("reconcile_after_restore", "--since", "2026-12-07 18:40:33")


def test_stripe_failing_midway_is_a_clean_error_and_a_rerun_finishes(creator, customer_id, emulator, restore_point):
    emulator.put(so.subscription("sub_retry", customer_id, plan="pro"))
    emulator.put(so.invoice("in_retry", customer_id, "sub_retry"))
    emulator.fail("GET", "/v1/invoices")
    with pytest.raises(CommandError, match="Stripe did not answer"):
        _reconcile(restore_point)
    assert not Payment.objects.exists()  # everything is fetched before anything is applied

    _reconcile(restore_point)
    assert Payment.objects.get().stripe_invoice_id == "in_retry"
