"""A reference model of one Stripe subscription's life, and the events Stripe sends for it.

The model is Stripe's truth for one creator: the subscription (status, price, period, the
cancel-at-period-end flag) and its invoices, moved by the steps of a life: start (with or without
a trial), renew, a renewal not yet made at the period end (late), a renewal whose payment fails, recovery, past_due that ends in cancellation,
cancel at period end and resume (clicked on our billing page, so they go through our code to the
emulator), the period end that follows, an immediate cancel, and a change between pro and studio
or monthly and yearly. Each step emits the events Stripe would send, stamped like Stripe stamps
them: whole seconds, several in the same second.

`grant(at)` is what the creator may use at `at` according to that truth: a subscription Stripe
calls active or trialing is paid for (Stripe renews it at the period end; the model never looks
later than the grace window); past_due gives what was paid for, until its end; otherwise free.
The model test (billing/tests/test_lifecycle_model.py) delivers the events in any order, twice,
late, and concurrently, and compares our rows with this.
"""

import dataclasses
import itertools

from django.conf import settings

from billing.testing.stripe_emulator import invoice_object, subscription_object

DAY = 86400
PERIOD = {"month": 30 * DAY, "year": 365 * DAY}
AMOUNT = {("pro", "month"): 999, ("pro", "year"): 9996, ("studio", "month"): 2999, ("studio", "year"): 29988}
TRIAL = 14 * DAY
_ids = itertools.count(1)


def _id(prefix):
    return f"{prefix}_model{next(_ids):08d}"


def price_object(plan, interval):
    return {"id": settings.STRIPE_PRICES[(plan, interval)], "object": "price", "active": True, "currency": "usd",
            "product": f"prod_{plan}", "recurring": {"interval": interval, "interval_count": 1},
            "type": "recurring", "unit_amount": AMOUNT[(plan, interval)]}


@dataclasses.dataclass
class Step:
    name: str
    gap: int = 0  # seconds since the previous step (0: the same second)
    arg: object = None


class Lifecycle:
    """Stripe's truth for one subscription. `events` lists what Stripe sent, in the order it
    sent it; `events_by_step[k]` those the k-th step sent."""

    def __init__(self, *, customer_id, start, plan, interval, trial):
        self.customer_id = customer_id
        self.clock = start
        self.subscription_id = _id("sub")
        self.plan, self.interval = plan, interval
        self.invoices = {}  # id -> invoice object (current state)
        self.failed = set()  # invoices whose payment failed at least once
        self.events = []
        self.events_by_step = []
        self._step_events = []
        status = "trialing" if trial else "active"
        period_end = start + (TRIAL if trial else PERIOD[interval])
        self.subscription = subscription_object(
            self.subscription_id, customer_id, price_object(plan, interval), period_start=start, period_end=period_end,
            status=status,
        )
        self.subscription.update(created=start, start_date=start, billing_cycle_anchor=start,
                                 trial_start=start if trial else None, trial_end=period_end if trial else None)
        self.session = {
            "id": _id("cs"), "object": "checkout.session", "livemode": False, "created": start, "mode": "subscription",
            "customer": customer_id, "subscription": self.subscription_id, "status": "complete", "payment_status": "paid",
            "metadata": {}, "client_reference_id": None, "success_url": "http://testserver/billing/",
            "cancel_url": "http://testserver/pricing/", "url": None, "expires_at": start + DAY, "amount_total": 0,
            "currency": "usd",
        }
        self._emit("checkout.session.completed", self.session)
        self._emit("customer.subscription.created", self.subscription)
        self._invoice(paid=True, amount=0 if trial else AMOUNT[(plan, interval)], period=(start, period_end),
                      reason="subscription_create")
        self._end_step()

    # --- truth ---------------------------------------------------------------------------------
    @property
    def status(self):
        return self.subscription["status"]

    @property
    def period_end(self):
        return self.subscription["items"]["data"][0]["current_period_end"]

    @property
    def ended(self):
        return self.status == "canceled"

    def paid_through(self):
        ends = [inv["lines"]["data"][0]["period"]["end"] for inv in self.invoices.values() if inv["status"] == "paid"]
        return max(ends, default=None)

    def paid_invoices(self):
        return {i: inv for i, inv in self.invoices.items() if inv["status"] == "paid"}

    def grant(self, at):
        if self.status in ("active", "trialing"):
            return self.plan
        if self.status == "past_due" and self.paid_through() is not None and at < self.paid_through():
            return self.plan
        return "free"

    def objects(self):
        """What the emulator serves now: the current subscription, session and invoices."""
        return [self.subscription, self.session, *self.invoices.values()]

    # --- steps ---------------------------------------------------------------------------------
    def possible(self):
        """The step names that can happen now (a name listed twice is drawn twice as often: the
        steps that end a life are drawn less, so that lives get long enough to be interesting)."""
        if self.ended:
            return []
        steps = []
        if self.status in ("active", "trialing"):
            steps += ["renew", "renew_fails", "renew_fails", "cancel_click", "cancel_click", "change_plan", "renewal_late"]
            if self.subscription["cancel_at_period_end"]:
                steps += ["resume_click", "resume_click", "resume_click", "period_ends"]
        if self.status == "past_due":
            steps += ["recover", "recover", "recover", "give_up"]
        return steps + ["cancel_now"]

    def advance(self, step, click=None):
        """Apply `step`. Clicks (cancel_click, resume_click) are made through our code by
        `click(cancel)`, which returns the subscription as the emulator has it afterwards."""
        self.clock += step.gap
        getattr(self, f"_{step.name}")(step, click)
        self._end_step()

    def _renewal_time(self, lateness):
        self.clock = max(self.clock, self.period_end + lateness)

    def _new_period(self, start):
        item = self.subscription["items"]["data"][0]
        item["current_period_start"], item["current_period_end"] = start, start + PERIOD[self.interval]
        return item["current_period_start"], item["current_period_end"]

    def _renewal_late(self, step, click):
        """Time passes beyond the period end and Stripe has not renewed yet (it renews within
        the hour; its events can come days later): still subscribed, still paid for."""
        self._renewal_time(step.arg or 1)

    def _renew(self, step, click):
        if self.subscription["cancel_at_period_end"]:
            return self._period_ends(step, click)
        self._renewal_time(step.arg or 0)
        period = self._new_period(self.period_end)
        self.subscription["status"] = "active"
        self._invoice(paid=True, amount=AMOUNT[(self.plan, self.interval)], period=period, reason="subscription_cycle")
        self._emit("customer.subscription.updated", self.subscription)

    def _renew_fails(self, step, click):
        if self.subscription["cancel_at_period_end"]:
            return self._period_ends(step, click)
        self._renewal_time(step.arg or 0)
        period = self._new_period(self.period_end)
        invoice = self._invoice(paid=False, amount=AMOUNT[(self.plan, self.interval)], period=period,
                                reason="subscription_cycle")
        self.subscription["status"] = "past_due"
        self._emit("customer.subscription.updated", self.subscription)
        self._emit("invoice.payment_failed", invoice)

    def _open_invoice(self):
        return next(inv for inv in self.invoices.values() if inv["status"] == "open")

    def _recover(self, step, click):
        invoice = self._open_invoice()
        invoice.update(status="paid", amount_paid=invoice["amount_due"])
        invoice["status_transitions"]["paid_at"] = self.clock
        self._emit("invoice.paid", invoice)
        self.subscription["status"] = "active"
        self._emit("customer.subscription.updated", self.subscription)

    def _give_up(self, step, click):
        self._cancel()

    def _cancel_now(self, step, click):
        self._cancel()

    def _period_ends(self, step, click):
        self.clock = max(self.clock, self.period_end)
        self._cancel()

    def _cancel(self):
        self.subscription.update(status="canceled", canceled_at=self.clock, ended_at=self.clock)
        self._emit("customer.subscription.deleted", self.subscription)

    def _cancel_click(self, step, click):
        self._click(click, cancel=True, twice=bool(step.arg))

    def _resume_click(self, step, click):
        self._click(click, cancel=False, twice=bool(step.arg))

    def _click(self, click, *, cancel, twice):
        before = self.subscription["cancel_at_period_end"]
        after = click(cancel, twice)
        if after is not None and after["cancel_at_period_end"] != before:
            self.subscription["cancel_at_period_end"] = after["cancel_at_period_end"]
            self._emit("customer.subscription.updated", self.subscription)

    def _change_plan(self, step, click):
        plan, interval = step.arg
        if (plan, interval) == (self.plan, self.interval):
            return
        self.plan, self.interval = plan, interval
        item = self.subscription["items"]["data"][0]
        item["price"] = price_object(plan, interval)
        # The billing cycle restarts with the change, invoiced (and paid) at once.
        period = self._new_period(self.clock)
        self.subscription["status"] = "active"
        self._invoice(paid=True, amount=AMOUNT[(plan, interval)], period=period, reason="subscription_update")
        self._emit("customer.subscription.updated", self.subscription)

    # --- events --------------------------------------------------------------------------------
    def _invoice(self, *, paid, amount, period, reason):
        invoice_id = _id("in")
        invoice = invoice_object(
            invoice_id, self.customer_id, self.subscription_id, price_id=settings.STRIPE_PRICES[(self.plan, self.interval)],
            product_id=f"prod_{self.plan}", amount=amount, number=f"CC-{invoice_id[-6:]}",
            hosted_invoice_url=f"https://invoice.stripe.test/{invoice_id}", billing_reason=reason,
            status="paid" if paid else "open", period=period, created=self.clock,
        )
        self.invoices[invoice_id] = invoice
        if paid:
            self._emit("invoice.paid", invoice)
        else:
            self.failed.add(invoice_id)
        return invoice

    def _emit(self, event_type, obj):
        import json

        event = {"id": _id("evt"), "object": "event", "api_version": settings.STRIPE_API_VERSION, "created": self.clock,
                 "livemode": False, "type": event_type, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "data": {"object": json.loads(json.dumps(obj))}}
        self.events.append(event)
        self._step_events.append(event)

    def _end_step(self):
        self.events_by_step.append(self._step_events)
        self._step_events = []
