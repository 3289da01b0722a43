"""Benchmark: the restore drill at N creators; prints the RPO and the RTO.

    .venv/bin/python bench/restore_drill.py [--creators 100000] [--rpo-write-seconds 100]

1. A fresh source database on the machine's cluster (BENCH_DATABASE_URL or the default), migrated,
   the content loaded, a Stripe webhook endpoint; the Stripe API emulator on loopback.
2. A throwaway primary (core.testing.pitr: the production archiving lines, archive_timeout as
   configured, and the production pgBackRest file, encrypted) holding a copy of it; N creators
   generated with set-based SQL (bench.audit.GENERATE: profile, stats, enrollment, three
   completions, achievements); a full backup (timed).
3. The CI drill (ops.testing.restore_drill.run) on that database: writes through the services,
   a target time, more writes, a restore to the target into a new cluster. RTO = `pgbackrest
   restore` until the restored cluster is out of recovery and answers. Checked: everything
   before the target is there and nothing after, audit_integrity, reconciliation.
4. RPO: a writer commits a row every 100 ms for --rpo-write-seconds (nothing else switches the
   WAL segment, as on a quiet night); then the primary and its disk are lost (stopped with
   `-m immediate`, never used again); the repository is restored to the end of its archive. RPO =
   the last commit on the primary minus the last commit the restored cluster has. A segment is
   archived when full or archive_timeout seconds after its first write, so the loss is below
   archive_timeout plus the time archive-push takes; where in that cycle the primary dies decides
   the figure (one run measures one point of it).
Every cluster and the repository are deleted at the end; the source database is dropped.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit import GENERATE  # noqa: E402
from bench.common import configure, drop_database, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_drill"


def _setup(database_url, ledger):
    os.environ.update(EMAIL_BACKEND="anymail.backends.test.EmailBackend", EMAIL_SEND_LEDGER=ledger,
                      STRIPE_TEST_SECRET_KEY="sk_test_" + "emulator" * 4)
    configure(database_url)
    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    return WebhookEndpoint.objects.create(
        id="we_bench_drill", livemode=False, url="http://testserver/stripe/webhook/", enabled_events=["*"],
        secret="whsec_bench_drill", status="enabled", djstripe_uuid=uuid.uuid4(), api_version="2026-05-27.dahlia",
    )


def _emulator():
    import stripe
    from django.conf import settings

    from billing.testing.stripe_emulator import StripeEmulator
    from billing.tests.stripe_objects import products_and_prices

    emulator = StripeEmulator().start()
    for obj in products_and_prices():
        emulator.put(obj)
    stripe.api_base = emulator.url
    return emulator, emulator.get(settings.STRIPE_PRICES[("pro", "month")])


def _generate(creators):
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        for sql in GENERATE:
            cursor.execute(sql, {"n": creators})
        cursor.execute("RESET statement_timeout")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"generated {creators} creators in {time.perf_counter() - started:.1f} s (database {size})", flush=True)


def _rpo(drill, write_seconds):
    """Lose the primary after `write_seconds` of steady commits; restore the archive's end.
    Returns (seconds of commits lost, restore seconds)."""
    with drill.primary.connect("postgres") as conn:
        conn.execute("CREATE TABLE heartbeat (id serial PRIMARY KEY,"
                     " at timestamptz NOT NULL DEFAULT clock_timestamp())")
    drill.repository.check()  # a fresh segment: the archive_timeout clock starts at the first write below
    stop = threading.Event()
    last = []

    def write():
        with drill.primary.connect("postgres") as conn:
            while not stop.is_set():
                last.append(conn.execute("INSERT INTO heartbeat DEFAULT VALUES RETURNING at").fetchone()[0])
                time.sleep(0.1)

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(write_seconds)
    stop.set()
    writer.join()
    drill.primary.stop("immediate")  # the primary and its disk are gone from here on
    started = time.perf_counter()
    restored = drill.restore()
    seconds = time.perf_counter() - started
    with restored.connect("postgres") as conn:
        kept = conn.execute("SELECT max(at) FROM heartbeat").fetchone()[0]
    lost = (last[-1] - kept).total_seconds() if kept else (last[-1] - last[0]).total_seconds()
    print(f"RPO: {len(last)} commits over {write_seconds} s, the last at {last[-1]:%H:%M:%S.%f}; the restored archive "
          f"ends at {kept:%H:%M:%S.%f}: {lost:.1f} s of commits lost", flush=True)
    return lost, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100000)
    parser.add_argument("--rpo-write-seconds", type=float, default=100)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(database_url)
    from core.testing.pitr import Drill, archiving_settings

    drill = Drill()
    try:
        webhook = _setup(database_url, str(drill.directory / "email-send-ledger.sqlite3"))
        emulator, price = _emulator()
        from ops.testing import restore_drill
        from tasks.models import RoadmapTask

        drill.start()
        drill.primary_load(database_url, "app")
        day_one = RoadmapTask.objects.filter(platform="youtube", day=1).order_by("order")
        task_id = day_one.values_list("pk", flat=True)[0]
        with restore_drill.django_on(drill.primary, "app"):
            _generate(args.creators)
        started = time.perf_counter()
        drill.repository.backup("full")
        info = drill.repository.info()["backup"][-1]
        print(f"full backup in {time.perf_counter() - started:.1f} s: {info['info']['size'] / 1e6:.0f} MB of data, "
              f"{info['info']['repository']['delta'] / 1e6:.0f} MB in the repository (compressed, encrypted)",
              flush=True)
        traffic = restore_drill.AppTraffic(history=restore_drill.History(), emulator=emulator, webhook=webhook,
                                           task_id=task_id, price=price)
        report = restore_drill.run(drill, traffic, dbname="app")
        exact = report.found == report.expected and report.after_target > 0
        print(f"RTO: restored to {report.target:%H:%M:%S.%f} and out of recovery in {report.restore_seconds:.1f} s "
              f"at {args.creators} creators", flush=True)
        print(f"  history: {sum(map(len, report.expected.values()))} rows committed before the target, "
              f"{report.after_target} after; restored {'exactly' if exact else 'NOT exactly'} those before; "
              f"audit: {len(report.breaches)} breach(es); reconcile recorded {report.payments_recorded_by_reconcile} "
              f"lost payment(s); {report.emails_held_back} restored email job(s) held back by the ledger, "
              f"{len(report.emails_twice)} email(s) sent twice", flush=True)
        archive_timeout = archiving_settings()["archive_timeout"]
        lost, seconds = _rpo(drill, args.rpo_write_seconds)
        print(f"RPO {lost:.1f} s with archive_timeout = {archive_timeout} s (bound: archive_timeout + archive-push); "
              f"restore to the end of the archive in {seconds:.1f} s", flush=True)
        return 0 if exact and not report.breaches and not report.emails_twice else 1
    finally:
        drill.destroy()
        drop_database(database_url)


if __name__ == "__main__":
    sys.exit(main())
