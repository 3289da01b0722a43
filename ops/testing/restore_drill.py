"""The restore drill's application side, shared by the CI test (ops/tests/test_restore_drill.py)
and the bench (bench/restore_drill.py).

On a throwaway primary (core.testing.pitr) the app writes through its own services (signups,
completions, Stripe webhooks) while a history records each committed row with its commit time
(`pg_xact_commit_timestamp`, kept because the archiving lines turn `track_commit_timestamp` on).
A target time is noted after the second of three rounds of writes; that round's email jobs run
only after it (their sends are in the send ledger, their jobs back to READY in the restored
database).
The repository is restored to the target into a new cluster, Django's connection is pointed at
it, and the drill reports what is there against the history, the audit, and what
`reconcile_after_restore` and the email jobs then do.
"""

import collections
import contextlib
import dataclasses
import json
import time

from django.core import mail
from django.db import connections
from django.test import Client

from accounts.services import user_signup
from billing.models import Payment
from billing.services import checkout
from billing.testing.stripe_emulator import invoice_object, subscription_object, webhook_signature
from core.testing.jobs import run_queued_jobs
from ops import audit
from ops.restore_reconcile import restore_reconcile
from tasks.services.completion import task_complete


@contextlib.contextmanager
def django_on(cluster, dbname):
    """Point Django's default connection at database `dbname` of `cluster` for the block."""
    alias = connections["default"]
    original = alias.settings_dict
    alias.close()
    alias.settings_dict = {**original, "HOST": "127.0.0.1", "PORT": cluster.port, "NAME": dbname}
    try:
        yield
    finally:
        alias.close()
        alias.settings_dict = original


class History:
    """Rows the drill committed: (table, key column, key, commit time)."""

    def __init__(self):
        self.rows = []

    def record(self, table, column, key):
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SELECT pg_xact_commit_timestamp(xmin) FROM {table} WHERE {column} = %s", [key])
            self.rows.append((table, column, key, cursor.fetchone()[0]))

    def committed_by(self, target):
        """{table: keys committed at or before `target`}."""
        expected = collections.defaultdict(set)
        for table, _, key, at in self.rows:
            if at <= target:
                expected[table].add(key)
        return dict(expected)

    def present(self):
        """{table: the recorded keys found in the database Django reads now}."""
        found = collections.defaultdict(set)
        with connections["default"].cursor() as cursor:
            for table, column, key, _ in self.rows:
                cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s", [key])
                if cursor.fetchone():
                    found[table].add(key)
        return dict(found)


class AppTraffic:
    """Writes through the app's services, each recorded in the history."""

    def __init__(self, *, history, emulator, webhook, task_id, price):
        self.history = history
        self.emulator = emulator
        self.webhook = webhook  # dj-stripe's WebhookEndpoint (uuid, secret)
        self.task_id = task_id  # a day-1 task every new creator may complete
        self.price = price  # a Stripe price object the emulator serves
        self.count = 0

    def signup(self):
        self.count += 1
        user = user_signup(email=f"drill{self.count}-{time.monotonic_ns()}@example.com", password="drill-password-2026",
                           platform="youtube").user
        self.history.record("accounts_user", "id", user.pk)
        return user

    def complete(self, user):
        completion = task_complete(user=user, task_id=self.task_id, quality=4).completion
        self.history.record("tasks_taskcompletion", "id", completion.pk)

    def deliver(self, event_type, obj):
        event = {"id": self.emulator.new_id("evt"), "object": "event", "api_version": self.webhook.api_version,
                 "created": int(time.time()), "livemode": False, "type": event_type, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "data": {"object": obj}}
        body = json.dumps(event)
        response = Client().post(f"/stripe/webhook/{self.webhook.djstripe_uuid}/", body,
                                 content_type="application/json",
                                 HTTP_STRIPE_SIGNATURE=webhook_signature(self.webhook.secret, body))
        assert response.status_code == 200, response.content
        self.history.record("djstripe_event", "id", event["id"])
        return event

    def subscribe_and_pay(self, user):
        """Checkout's customer (a Stripe call, outside any transaction), then the subscription and
        its paid invoice as Stripe delivers them. Returns the invoice.paid event."""
        customer_id = checkout.customer_for(user).id
        now = int(time.time())
        subscription = self.emulator.put(subscription_object(
            self.emulator.new_id("sub"), customer_id, self.price, period_start=now, period_end=now + 30 * 86400))
        invoice = self.emulator.put(invoice_object(
            self.emulator.new_id("in"), customer_id, subscription["id"], price_id=self.price["id"],
            product_id=self.price["product"], amount=int(self.price["unit_amount"]), number=f"CC-{self.count:06d}",
            hosted_invoice_url="https://invoice.stripe.test/drill", billing_reason="subscription_create"))
        self.deliver("customer.subscription.created", subscription)
        paid = self.deliver("invoice.paid", invoice)
        self.history.record("billing_payment", "stripe_invoice_id", invoice["id"])
        return paid

    def round(self, creators):
        """`creators` new creators, each completing a task; the first also subscribes and pays.
        Returns the creators."""
        users = [self.signup() for _ in range(creators)]
        for user in users:
            self.complete(user)
        self.subscribe_and_pay(users[0])
        return users


@dataclasses.dataclass
class DrillReport:
    target: object
    expected: dict  # {table: keys committed by the target}
    found: dict  # {table: recorded keys in the restored database}
    after_target: int  # rows the history has after the target (must be absent)
    restore_seconds: float  # pgbackrest restore until the cluster is out of recovery (RTO)
    breaches: list  # audit_integrity on the restored database
    payments_recorded_by_reconcile: int
    emails_twice: dict  # {(recipient, subject): times sent} for any sent more than once
    emails_held_back: int  # restored email jobs that found their send in the ledger
    redelivery_payments: int  # Payment rows for the late-redelivered invoice (1: idempotent)


def run(drill, traffic, *, dbname, creators_per_round=3):
    """The drill, Django pointed at the primary's `dbname` during the writes and at the restored
    cluster after. The repository must hold a full backup already."""
    mail.outbox = []
    with django_on(drill.primary, dbname):
        first = traffic.round(creators_per_round)
        run_queued_jobs()  # first round's emails sent before the target
        drill.repository.backup("incr")
        traffic.round(creators_per_round)
        with connections["default"].cursor() as cursor:
            time.sleep(0.05)
            cursor.execute("SELECT clock_timestamp()")
            target = cursor.fetchone()[0]
            time.sleep(0.05)
        run_queued_jobs()  # the second round's emails leave after the target: restored as READY
        traffic.round(creators_per_round)
        late = traffic.subscribe_and_pay(first[1])  # a creator from before the target pays after it
        run_queued_jobs()
        drill.repository.check()  # every commit so far is in the repository
    started = time.perf_counter()
    restored = drill.restore(target_time=target)
    restore_seconds = time.perf_counter() - started
    with django_on(restored, dbname):
        found = traffic.history.present()
        breaches = audit.audit()
        before = Payment.objects.count()
        restore_reconcile(since=target)
        reconciled = Payment.objects.count() - before
        held_back = sum(job.return_value == "duplicate" for job in run_queued_jobs())  # they already left
        traffic.deliver("invoice.paid", late["data"]["object"])  # Stripe's redelivery of a lost event
        redelivered = Payment.objects.filter(stripe_invoice_id=late["data"]["object"]["id"]).count()
    sent = collections.Counter((message.to[0], message.subject) for message in mail.outbox)
    return DrillReport(
        target=target, expected=traffic.history.committed_by(target), found=found,
        after_target=sum(at > target for *_, at in traffic.history.rows), restore_seconds=restore_seconds,
        breaches=breaches, payments_recorded_by_reconcile=reconciled,
        emails_twice={key: times for key, times in sent.items() if times > 1}, emails_held_back=held_back,
        redelivery_payments=redelivered,
    )
