"""Benchmark: Stripe webhook deliveries on gunicorn + PostgreSQL.

    .venv/bin/python bench/webhooks.py [--seconds 8] [--connections 8] [--workers 4]

A loopback Stripe API emulator (billing/testing) answers what dj-stripe asks while storing (the
customer creation); wrk (Debian
package) posts pre-signed deliveries from a second process: (1) unique invoice.paid events,
each a new invoice and Payment; (2) one already-processed event delivered over and over (the
cost of a duplicate). Prints events/s, p50/p99, the duplicate/unique ratio and exact queries
per delivery, and checks that exactly one Payment exists per unique event.
"""

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare, wrk  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_webhooks"
SECRET = "whsec_bench_creatorcompass"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--events", type=int, default=6000, help="unique events prepared (each used once)")
    args = parser.parse_args()
    prepare(DEFAULT_URL, STRIPE_TEST_SECRET_KEY="sk_test_" + "benchmark" * 3)
    import stripe
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from djstripe.models import WebhookEndpoint

    from accounts.tests.factories import CreatorFactory
    from billing.services import checkout
    from billing.models import Payment
    from billing.testing.stripe_emulator import StripeEmulator
    from billing.tests import stripe_objects as so

    emulator = StripeEmulator().start()
    stripe.api_base = emulator.url
    for obj in so.products_and_prices():
        emulator.put(obj)
    endpoint = WebhookEndpoint.objects.create(
        id="we_bench", livemode=False, url="http://127.0.0.1/stripe/webhook/", enabled_events=["*"], secret=SECRET,
        status="enabled", djstripe_uuid=uuid.uuid4(), api_version="2026-05-27.dahlia",
    )
    path = f"/stripe/webhook/{endpoint.djstripe_uuid}/"

    print(f"preparing {args.events} invoices for 50 paying creators ...", flush=True)
    customers = []
    for i in range(50):
        customer_id = checkout.customer_for(CreatorFactory(email=f"bench{i}@bench.local")).id
        customers.append((customer_id, emulator.put(so.subscription(so.new_id("sub"), customer_id))["id"]))

    def invoice_paid(i):
        customer_id, sub_id = customers[i % len(customers)]
        return so.event("invoice.paid", emulator.put(so.invoice(so.new_id("in"), customer_id, sub_id)))

    def signed(event):
        body = so.encode(event)
        return so.signature(SECRET, body), body

    # Exact queries per delivery, in-process: a unique event, then the same event again.
    probe = invoice_paid(0)
    counts = {}
    for label in ("unique", "duplicate"):
        signature, body = signed(probe)
        with CaptureQueriesContext(connection) as captured:
            response = Client().post(path, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200, response.content
        counts[label] = len(captured)

    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-webhooks-"))
    unique_file, duplicate_file = workdir / "unique.tsv", workdir / "duplicate.tsv"
    unique_events = [invoice_paid(i) for i in range(args.events)]
    unique_file.write_text("".join("\t".join(signed(e)) + "\n" for e in unique_events))
    duplicate_file.write_text("\t".join(signed(probe)) + "\n")
    payments_before = Payment.objects.count()

    with gunicorn(args.workers, workdir / "gunicorn.log", {"STRIPE_API_HOST": emulator.url}) as base:
        url = base + path
        unique = wrk(url, args.seconds, args.connections, ROOT / "bench/post_signed.lua", unique_file, 2)
        duplicate = wrk(url, args.seconds, args.connections, ROOT / "bench/post_signed.lua", duplicate_file, 0)
    emulator.stop()

    for run in (unique, duplicate):
        run["rps"] = run["requests"] / run["seconds"]
    stored = Payment.objects.count() - payments_before
    print(f"\n{args.connections} connections, {args.workers} gunicorn sync workers, PostgreSQL, {args.seconds}s each")
    print(f"{'delivery':<11}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'queries':>9}")
    for name, run in (("unique", unique), ("duplicate", duplicate)):
        print(f"{name:<11}{run['rps']:>10.1f}{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}{run['non2xx']:>9}{counts[name]:>9}")
    print(f"\nduplicate / unique throughput = {duplicate['rps'] / unique['rps']:.2f}x")
    # Requests still in flight when wrk stops are processed but not counted by wrk.
    consistent = unique["requests"] <= stored <= unique["requests"] + args.connections and unique["non2xx"] == 0
    print(f"unique deliveries answered {unique['requests']}, payments stored {stored}: "
          f"{'one per event' if consistent else 'MISMATCH'}; duplicates stored nothing: "
          f"{Payment.objects.filter(stripe_invoice_id=probe['data']['object']['id']).count() == 1}")


if __name__ == "__main__":
    main()
