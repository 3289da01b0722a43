"""The model-based check of billing: draw a subscription's life (billing.testing.lifecycle_model),
deliver Stripe's events for it to our webhook in any order, with duplicates, late (after later
steps happened) and, on PostgreSQL, concurrently, while the emulator serves the model's current
objects; then compare our rows and emails with the model's truth.

Used by test_lifecycle_model.py (a fixed budget in CI, every planted defect) and, with a longer
budget, by bench/lifecycles.py."""

import collections
import contextlib
import datetime
import threading
import time
import uuid

from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st

from accounts.tests.factories import CreatorFactory
from billing.models import Entitlement, Payment
from billing.selectors import plan_for
from billing.services import checkout
from billing.testing.lifecycle_model import Lifecycle, Step
from core.errors import DomainError
from core.models import SentEmail
from core.testing.jobs import run_queued_jobs

GAPS = st.sampled_from([0, 0, 1, 2, 3600])
LATENESS = st.sampled_from([0, 1, 3600, 47 * 3600])
PLANS = st.sampled_from([("pro", "month"), ("pro", "year"), ("studio", "month"), ("studio", "year")])
BILLING_EMAILS = ("receipt:", "payment_failed:", "cancelled:")
TRIED = {"lifecycles": 0, "orders": set(), "events": 0, "deliveries": 0, "steps": collections.Counter()}


def _utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


@contextlib.contextmanager
def our_clock_at(seconds):
    """Our clock (django.utils.timezone.now) inside the model's second, mid-way: a click happens
    during the second Stripe stamps its events with."""
    real = timezone.now
    timezone.now = lambda: _utc(seconds) + datetime.timedelta(milliseconds=500)
    try:
        yield
    finally:
        timezone.now = real


def _deliver_all(deliver, events, concurrent):
    if not concurrent or len(events) < 2:
        return [deliver(event).status_code for event in events]
    barrier = threading.Barrier(len(events))
    codes = [None] * len(events)

    def one(index, event):
        try:
            barrier.wait(timeout=10)
            codes[index] = deliver(event, client=Client()).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i, e)) for i, e in enumerate(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


class Sent:
    """The emails sent so far about this lifecycle, with the model's truth when each was sent."""

    def __init__(self, user):
        self.user = user
        self.seen = set()
        self.subjects = set()
        self.untrue = []

    def run_jobs(self, model):
        run_queued_jobs()
        rows = SentEmail.objects.filter(to=self.user.email, sent_at__isnull=False).values_list("key", "subject")
        for key, subject in rows:
            if key in self.seen or not key.startswith(BILLING_EMAILS):
                continue
            self.subjects.add(subject)
            self.seen.add(key)
            kind, _, about = key.partition(":")
            true = {
                "receipt": lambda: model.invoices.get(about, {}).get("status") == "paid",
                "payment_failed": lambda: about in model.failed and model.invoices[about]["status"] != "paid",
                "cancelled": lambda: about == model.subscription_id and model.ended,
            }.get(kind, lambda: True)()
            if not true:
                self.untrue.append(key)


def lifecycle_run(data, *, deliver, emulator, concurrent=False, max_steps=8):
    """Draw one lifecycle and one delivery of its events; assert our state equals the model's."""
    user = CreatorFactory()
    customer_id = checkout.customer_for(user).id
    plan, interval = data.draw(PLANS, label="plan")
    model = Lifecycle(customer_id=customer_id, start=int(time.time()), plan=plan, interval=interval,
                      trial=data.draw(st.booleans(), label="trial"))
    sent = Sent(user)
    mail.outbox.clear()

    def serve():
        for obj in model.objects():
            emulator.put(obj)

    def click(cancel, twice):
        serve()
        intent = uuid.uuid4().hex  # the key the billing page rendered with its form
        with our_clock_at(model.clock):
            try:
                for _ in range(2 if twice else 1):
                    checkout.subscription_set_cancel_at_period_end(user=user, cancel=cancel, intent_key=intent)
            except DomainError:
                return None  # our page shows no subscription to cancel yet: nothing to click
        return emulator.get(model.subscription_id)

    pending = {}  # delivery point -> events

    def schedule(events, step_index, last_point):
        for event in events:
            # Mostly at once, as Stripe mostly delivers; otherwise after any later step (late).
            prompt = data.draw(st.integers(0, 2), label="prompt") == 0
            point = step_index if prompt else data.draw(st.integers(step_index, last_point), label="delivered after step")
            pending.setdefault(point, []).append(event)
            if data.draw(st.integers(0, 3), label="duplicate") == 0:
                again = data.draw(st.integers(point, last_point), label="duplicate after step")
                pending.setdefault(again, []).append(event)

    steps = data.draw(st.integers(0, max_steps), label="steps")
    schedule(model.events_by_step[0], 0, steps)
    order = []
    for index in range(steps + 1):
        if index > 0:
            possible = model.possible()
            if possible:
                name = data.draw(st.sampled_from(possible), label="step")
                arg = {"renew": LATENESS, "renew_fails": LATENESS, "renewal_late": LATENESS, "cancel_click": st.booleans(),
                       "resume_click": st.booleans(), "change_plan": PLANS}.get(name)
                step = Step(name, gap=data.draw(GAPS, label="gap"), arg=data.draw(arg, label="arg") if arg is not None else None)
                model.advance(step, click=click)
                TRIED["steps"][name] += 1
                schedule(model.events_by_step[-1], index, steps)
        serve()
        batch = pending.pop(index, [])
        batch = data.draw(st.permutations(batch), label="order") if batch else []
        order += [event["id"] for event in batch]
        codes = _deliver_all(deliver, batch, concurrent)
        assert all(code == 200 for code in codes), codes
        if data.draw(st.integers(0, 3), label="jobs now") == 0:
            sent.run_jobs(model)
    sent.run_jobs(model)

    TRIED["lifecycles"] += 1
    TRIED["orders"].add(tuple(order))
    TRIED["events"] += len(model.events)
    TRIED["deliveries"] += len(order)
    check_against_model(model, user, sent)


def check_against_model(model, user, sent):
    # The entitlement is what Stripe's final state grants.
    entitlement = Entitlement.objects.get(user=user)
    assert (entitlement.stripe_subscription_id, entitlement.status, entitlement.plan_id) == (
        model.subscription_id, model.status, model.plan
    ), ("entitlement", entitlement.status, entitlement.plan_id, model.status, model.plan)
    assert entitlement.current_period_end == _utc(model.period_end), "period end"
    assert entitlement.cancel_at_period_end == model.subscription["cancel_at_period_end"], "cancel at period end"
    assert entitlement.paid_through == (_utc(model.paid_through()) if model.paid_through() else None), "paid through"
    for late in (0, 3600, 47 * 3600):
        at = model.clock + late
        if model.status in ("active", "trialing") and at >= model.period_end + 47 * 3600:
            continue  # Stripe renews within the hour of the period end: the model never looks that late
        assert plan_for(user, now=_utc(at)).code == model.grant(at), ("grant", late, model.status)
    # Payments are the paid invoices.
    payments = {p.stripe_invoice_id: (p.amount_cents, p.period_end) for p in Payment.objects.filter(user=user)}
    paid = {i: (inv["amount_paid"], _utc(inv["lines"]["data"][0]["period"]["end"])) for i, inv in model.paid_invoices().items()}
    assert payments == paid, "payments"
    # Each email once, and only if true when it was sent.
    assert not sent.untrue, ("untrue emails", sent.untrue)
    expected = {f"receipt:{i}" for i in paid}
    expected |= {f"payment_failed:{i}" for i in model.failed if i not in paid}
    if model.ended:
        expected.add(f"cancelled:{model.subscription_id}")
    optional = {f"payment_failed:{i}" for i in model.failed if i in paid}  # sent only while it was unpaid
    assert expected <= sent.seen <= expected | optional, ("emails", sorted(sent.seen), sorted(expected))
    outbox = [m for m in mail.outbox if m.to == [user.email] and m.subject in sent.subjects]
    assert len(outbox) == len(sent.seen), "an email went out twice"
