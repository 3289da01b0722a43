"""The invariants bench/faults.py checks after a run, from the database and the delivered
emails (never from what the load generator believes happened: a request cut by a fault may
have committed), and the printed report."""

import collections
import json
import re
import subprocess
import sys
from statistics import quantiles

from bench.common import ROOT

RECEIPT_LINK = re.compile(r"Invoice: (\S+)")


def expected_emails():
    """Every email the database says must have gone, once: a verification per creator (links
    are only clicked from that email, so it cannot be skipped as verified already), a welcome
    per verified creator, a receipt per Payment, a cancellation per cancelled entitlement, and
    each achievement of a creator with milestone emails on in exactly one milestone email."""
    from accounts.models import User
    from billing.models import Entitlement, Payment
    from milestones.models import MilestoneAchievement

    expected = collections.Counter()
    for email, verified_at in User.objects.values_list("email", "email_verified_at"):
        expected["verify_email", email] += 1
        expected["welcome", email] += verified_at is not None
    for url in Payment.objects.values_list("hosted_invoice_url", flat=True):
        expected["receipt", url] += 1
    for email in Entitlement.objects.filter(status="canceled").values_list("user__email", flat=True):
        expected["subscription_cancelled", email] += 1
    for email, title in MilestoneAchievement.objects.filter(user__profile__milestone_emails=True).values_list(
        "user__email", "milestone__title"
    ):
        expected["milestone", email, title] += 1
    return +expected


def delivered_emails(email_log):
    from milestones.models import Milestone

    titles = set(Milestone.objects.values_list("title", flat=True))
    delivered, lines = collections.Counter(), 0
    for line in email_log.read_text().splitlines():
        message, lines = json.loads(line), lines + 1
        kind, to = message["tags"][0], message["to"][0]
        if kind == "receipt":
            delivered["receipt", RECEIPT_LINK.search(message["body"])[1]] += 1
        elif kind == "milestone":
            for title in titles:
                delivered["milestone", to, title] += f"- {title}: " in message["body"]
        else:
            delivered[kind, to] += 1
    return +delivered, lines


def check(*, scenarios, email_log, recorder, load_seconds, workers):
    from django.db.models import Sum
    from django_tasks_db.models import DBTaskResult
    from djstripe.models import Event

    from accounts.models import User
    from billing.models import Entitlement, Payment
    from core.models import JobRetry, SentEmail
    from ops.audit import CHECKS
    from tasks.models import ContentIdea
    from usage.models import Feature, UsageCounter

    invariants = []
    audit = subprocess.run([sys.executable, "manage.py", "audit_integrity", "--json"], cwd=ROOT,
                           capture_output=True, text=True)
    breaches = json.loads(audit.stdout)["breaches"]
    invariants.append(("audit_integrity", audit.returncode == 0 and not breaches,
                       f"{len(CHECKS)} invariants, {len(breaches)} breach(es)" + (f": {breaches[:3]}" if breaches else "")))

    expected, (delivered, lines) = expected_emails(), delivered_emails(email_log)
    missing, extra = expected - delivered, delivered - expected
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    invariants.append(("emails exactly once", not missing and not extra,
                       f"expected {sum(expected.values())}, delivered {sum(delivered.values())}, "
                       f"missing {sum(missing.values())}, "
                       f"duplicates {duplicates}, unexpected {sum(extra.values()) - duplicates}"
                       + (f"; e.g. missing {list(missing)[:3]}, extra {list(extra)[:3]}" if missing or extra else "")))
    sent = SentEmail.objects.filter(sent_at__isnull=False).count()
    invariants.append(("every SentEmail claim sent, one message each", sent == SentEmail.objects.count() == lines,
                       f"{SentEmail.objects.count()} claims, {sent} marked sent, {lines} messages delivered"))

    invoices = {i for s in scenarios for i in s.invoices}
    payments = list(Payment.objects.values_list("stripe_invoice_id", flat=True))
    invariants.append(("one Payment per paid invoice", sorted(payments) == sorted(invoices),
                       f"{len(invoices)} invoices paid (each delivered twice or more), {len(payments)} payments"))
    event_ids = {e for s in scenarios for e in s.event_ids}
    stored = set(Event.objects.values_list("id", flat=True))
    invariants.append(("each Stripe event processed once", stored == event_ids,
                       f"{len(event_ids)} events delivered, {len(stored)} stored"))
    wrong = [s.subscription_id for s in scenarios
             if Entitlement.objects.get(stripe_subscription_id=s.subscription_id).status != s.final]
    invariants.append(("entitlements follow the Stripe history despite disorder", not wrong,
                       f"{len(scenarios)} histories ({sum(s.kind == 'cancel' for s in scenarios)} cancelled, "
                       f"late events ignored); wrong: {wrong}"))

    ideas = dict(ContentIdea.objects.values_list("user_id").annotate(n=Sum(1)).values_list("user_id", "n"))
    counted = dict(UsageCounter.objects.filter(feature=Feature.IDEAS).values_list("user_id").annotate(n=Sum("used"))
                   .values_list("user_id", "n"))
    off = [u for u in User.objects.values_list("pk", flat=True) if ideas.get(u, 0) != counted.get(u, 0)]
    invariants.append(("idea counters = ideas", not off, f"{sum(ideas.values())} ideas, {sum(counted.values())} counted"))

    late_errors = [r for r in recorder.requests if r[0] > 0.75 * load_seconds and _is_error(r[1])]
    invariants.append(("no error after recovery (last quarter of the load)", not late_errors, f"{len(late_errors)} error(s)"))
    invariants.append(("gunicorn workers all alive at the end", workers[0] == workers[1], f"{workers[0]} of {workers[1]}"))
    retried = collections.Counter(DBTaskResult.objects.filter(pk__in=JobRetry.objects.values("job_id"))
                                  .values_list("status", flat=True))
    return {"invariants": invariants, "emails": (expected, delivered), "retried": retried}


def _is_error(status):
    return status == "conn-error" or status >= 500


def report(*, args, log, recorder, load_seconds, drained, email_worker_exits, cron_errors, results, workdir):
    answered = [r for r in recorder.requests if r[1] != "conn-error"]
    statuses = collections.Counter(str(r[1]) for r in recorder.requests)
    errors = [r for r in recorder.requests if _is_error(r[1])]
    p50, p99 = (quantiles([r[2] * 1000 for r in answered], n=100)[i] for i in (49, 98))
    print(f"\n== fault: {args.fault} ==")
    for event in log["events"]:
        print(f"  {event}")
    print(f"load {load_seconds:.1f} s ({args.seconds} s of mixed traffic, then the Stripe histories finished), "
          f"{args.threads} threads on loopback; " + (
              f"2 gunicorn instances x {args.workers} sync workers + 2 db_workers, through PgBouncer "
              "(transaction pooling) to PostgreSQL, reads on a streaming replica" if args.scaled
              else f"gunicorn {args.workers} sync workers + PostgreSQL + db_worker"))
    print(f"requests served {len(answered)}, connection errors {statuses['conn-error']}")
    print("by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    window = f", between {errors[0][0]:.1f} s and {errors[-1][0]:.1f} s" if errors else ""
    print(f"errors (5xx + connection): {len(errors)}{window}")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"email jobs drained {drained:.1f} s after the load; email worker exits {email_worker_exits} "
          f"(restarted); retry_jobs runs that failed {cron_errors}; jobs it enqueued again: "
          + (", ".join(f"{n} left {status}" for status, n in results["retried"].items()) or "none"))
    expected, delivered = results["emails"]
    kinds = collections.Counter()
    for key, n in expected.items():
        kinds[key[0]] += n
    print("emails expected by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print("invariants:")
    for name, ok, detail in results["invariants"]:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    print(f"logs: {workdir}")
