"""The mixed workload of bench/faults.py: threads on loopback, each a creator population of its
own, bounded in time. Every answer is counted by status (a broken connection is "conn-error")
with its latency; nothing here decides whether the run passed (bench/faults.py checks the
database and the emails afterwards).

Actions: signups (each gets a verification email; its link, read from the delivered email, is
clicked, sometimes twice, which sends the welcome email once), task completions (a quarter
submitted twice), celebrations listed and marked seen (sometimes twice), ideas and exports
(metered: a free creator meets 429 limit_reached), and Stripe webhook deliveries, signed with
the endpoint's secret, each retried until answered 2xx as Stripe retries: duplicates (every
invoice.paid twice, other events sometimes) and out-of-order events (a subscription updated
before it was created, updated again after deletion).
"""

import collections
import http.client
import json
import random
import re
import threading
import time

from billing.tests import stripe_objects as so

COMPLETE_TWICE, SEEN_TWICE, VERIFY_TWICE, DELIVER_TWICE = 0.25, 0.3, 0.3, 0.3
ACTIONS = {"signup": 1, "complete": 5, "celebrations": 2, "idea": 1, "export": 1, "verify": 2, "webhook": 2}
VERIFY_LINK = re.compile(r"/verify/([^/\s]+)/")


class Recorder:
    """Statuses and latencies of every request, with when it happened (seconds into the run)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.requests = []  # (at, status or "conn-error", seconds)

    def add(self, status, seconds):
        with self.lock:
            self.requests.append((time.monotonic() - self.started, status, seconds))


class Client:
    def __init__(self, port, recorder):
        self.port, self.recorder = port, recorder

    def call(self, method, path, body=None, token=None, headers=None):
        """-> (status, parsed JSON or None); status "conn-error" when the connection broke."""
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Token {token}"
        if body is not None and not isinstance(body, str):
            body, headers["Content-Type"] = json.dumps(body), "application/json"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.recorder.add("conn-error", time.monotonic() - started)
            return "conn-error", None
        finally:
            connection.close()
        self.recorder.add(status, time.monotonic() - started)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None


class Mailbox:
    """Reads the bench email log as it grows: the verification links delivered per address."""

    def __init__(self, path):
        self.path, self.offset, self.links = path, 0, collections.defaultdict(list)
        self.lock = threading.Lock()

    def verification_links(self, email):
        with self.lock:
            with open(self.path, encoding="utf-8") as log:
                log.seek(self.offset)
                for line in iter(log.readline, ""):
                    if not line.endswith("\n"):
                        break  # a line being written: read it next time
                    self.offset += len(line.encode())
                    message = json.loads(line)
                    if "verify_email" in message["tags"]:
                        self.links[message["to"][0]] += VERIFY_LINK.findall(message["body"])
            return list(self.links[email])


class Scenario:
    """One paying creator's Stripe history, delivered step by step. `final` is the entitlement
    status it must leave; `invoices` the invoices paid."""

    def __init__(self, kind, customer_id, emulator):
        self.kind, self.emulator, self.invoices = kind, emulator, []
        sub = emulator.put(so.subscription(so.new_id("sub"), customer_id))
        self.subscription_id = sub["id"]
        t0 = int(time.time())

        def invoice_paid():
            self.invoices.append(emulator.put(so.invoice(so.new_id("in"), customer_id, sub["id"]))["id"])
            return so.event("invoice.paid", emulator.get(self.invoices[-1]), created=t0 + 2)

        def cancel():
            emulator.get(sub["id"]).update(status="canceled", canceled_at=t0 + 10, ended_at=t0 + 10)
            return so.event("customer.subscription.deleted", emulator.get(sub["id"]), created=t0 + 10)

        if kind == "renew":
            # "updated" overtakes "created"; the late "created" must not change anything.
            self.final = "active"
            self.steps = [lambda: so.event("customer.subscription.updated", sub, created=t0 + 1),
                          lambda: so.event("customer.subscription.created", sub, created=t0),
                          invoice_paid, invoice_paid]
        else:
            # A late "updated" (active) arrives after "deleted": the creator stays cancelled.
            self.final = "canceled"
            self.steps = [lambda: so.event("customer.subscription.created", sub, created=t0), invoice_paid, cancel,
                          lambda: so.event("customer.subscription.updated", sub, created=t0 + 5)]
        self.event_ids = []


class LoadThread(threading.Thread):
    def __init__(self, index, client, mailbox, task_ids, scenarios, webhook, deadline):
        super().__init__(daemon=True)
        self.index, self.client, self.mailbox, self.task_ids = index, client, mailbox, task_ids
        self.scenarios, self.webhook_path, self.webhook_secret = list(scenarios), *webhook
        self.deadline, self.random = deadline, random.Random(index)
        self.creators, self.signups = [], 0

    def run(self):
        actions, weights = zip(*ACTIONS.items())
        while time.monotonic() < self.deadline:
            action = "signup" if not self.creators else self.random.choices(actions, weights)[0]
            getattr(self, action)()
        # What Stripe has not delivered yet it keeps retrying after the load: finish the histories.
        while any(s.steps for s in self.scenarios):
            self.webhook()

    def signup(self):
        self.signups += 1
        email = f"t{self.index}-{self.signups}@faults.local"
        status, body = self.client.call("POST", "/api/v1/auth/signup",
                                        {"email": email, "password": "fault-run-password-1", "platform": "youtube"})
        if status == 202:
            status, body = self.client.call("POST", "/api/v1/auth/token", {"email": email, "password": "fault-run-password-1"})
        if status == 200:
            self.creators.append({"email": email, "token": body["token"], "next": 0, "verified": False})

    def complete(self):
        creator = self.random.choice(self.creators)
        if creator["next"] >= len(self.task_ids):
            return
        path = f"/api/v1/tasks/{self.task_ids[creator['next']]}/complete"
        for _ in range(2 if self.random.random() < COMPLETE_TWICE else 1):
            status, _ = self.client.call("POST", path, {"quality": self.random.randint(1, 5)}, token=creator["token"])
        if status in (200, 201):
            creator["next"] += 1

    def celebrations(self):
        creator = self.random.choice(self.creators)
        status, pending = self.client.call("GET", "/api/v1/celebrations", token=creator["token"])
        for celebration in pending if status == 200 else []:
            for _ in range(2 if self.random.random() < SEEN_TWICE else 1):
                self.client.call("POST", f"/api/v1/celebrations/{celebration['id']}/seen", token=creator["token"])

    def idea(self):
        self.client.call("POST", "/api/v1/ideas", {"title": "Fault-run idea"}, token=self.random.choice(self.creators)["token"])

    def export(self):
        self.client.call("POST", "/api/v1/exports", {"format": "csv"}, token=self.random.choice(self.creators)["token"])

    def verify(self):
        waiting = [c for c in self.creators if not c["verified"]]
        if not waiting:
            return
        creator = self.random.choice(waiting)
        for link in self.mailbox.verification_links(creator["email"])[:1]:
            for _ in range(2 if self.random.random() < VERIFY_TWICE else 1):
                status, _ = self.client.call("GET", f"/verify/{link}/")
            creator["verified"] = status == 200

    def webhook(self):
        pending = [s for s in self.scenarios if s.steps]
        if not pending:
            return
        scenario = self.random.choice(pending)
        event = scenario.steps.pop(0)()
        scenario.event_ids.append(event["id"])
        body = so.encode(event)
        twice = event["type"] == "invoice.paid" or self.random.random() < DELIVER_TWICE
        for _ in range(2 if twice else 1):
            # Stripe redelivers until it gets a 2xx (here every 0.5 s, up to a minute).
            for _ in range(120):
                headers = {"Stripe-Signature": so.signature(self.webhook_secret, body), "Content-Type": "application/json"}
                status, _ = self.client.call("POST", self.webhook_path, body, headers=headers)
                if status in (200, 201):
                    break
                time.sleep(0.5)
