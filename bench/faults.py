"""Fault runs: the mixed workload of bench/faultload.py on gunicorn + PostgreSQL + the email
worker, while one fault is injected, then every invariant checked.

    .venv/bin/python bench/faults.py --fault worker-kill|pg-restart|email-worker-kill|app-kill-after-commit|all
                                     [--seconds 30] [--plant enqueue-on-commit] [--scaled]

  worker-kill        SIGKILL a gunicorn worker (twice, a different one each time) mid-load;
                     the master respawns it
  pg-restart         restart PostgreSQL mid-load (`pg_ctlcluster ... restart`, every client
                     of the cluster sees it for a second or two)
  email-worker-kill  SIGKILL `manage.py db_worker` while it runs a job (twice), restart it
  app-kill-after-commit
                     a gunicorn worker kills itself in the instant after a COMMIT, before any
                     on-commit callback (bench/kill_after_commit.py; twice, each time after a
                     signup and after a completion that unlocks a milestone): the emails those
                     transactions caused must still go. `--plant enqueue-on-commit` puts the old
                     defect back (jobs enqueued on commit) to show that this run catches it

`--scaled` runs the same on the scaled-out topology: two gunicorn instances (the load alternates
between them) and two email workers on one database, all through PgBouncer in transaction pooling
mode (deploy/pgbouncer/pgbouncer.ini), and a streaming replica of the database serving the
instances' reads (core/testing/replica.py).

Each run has a fresh database (BENCH_DATABASE_URL, default postgres://…/cc_faults), the Stripe
API emulator on loopback, gunicorn on a free loopback port, and emails recorded by
bench.mail.EmailBackend. `retry_jobs` runs every 2 s as cron would; the email worker is
restarted when it exits, as systemd's Restart=always would. After the load the jobs drain,
then the run prints requests served, statuses, p50/p99 and the invariants (audit_integrity,
every email expected from the database delivered exactly once, one Payment per paid invoice,
entitlements where the Stripe history leaves them, usage counters = ideas, no error after
recovery); exit status 1 if any fails.
"""

import argparse
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, gunicorn, prepare  # noqa: E402

FAULTS = ("worker-kill", "pg-restart", "email-worker-kill", "app-kill-after-commit")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_faults"
# The machine's one cluster: its version is the directory under /etc/postgresql.
PG_RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", min(os.listdir("/etc/postgresql")), "main", "restart"]


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def gunicorn_masters():
    """The gunicorn masters this process started (bench.common.gunicorn), oldest first."""
    return sorted(pid for pid in children(os.getpid()) if "gunicorn" in Path(f"/proc/{pid}/cmdline").read_text())


class EmailWorker:
    """`manage.py db_worker`, restarted 1 s after it exits, whatever the cause."""

    def __init__(self, log_path, environment=None):
        self.log_path, self.exits, self.process = log_path, 0, None
        self.environment = {**os.environ, **(environment or {})}
        self.stopping = threading.Event()

    def _start(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT, stdout=self.log_path.open("a"), stderr=subprocess.STDOUT, env=self.environment,
        )

    def _supervise(self):
        while not self.stopping.is_set():
            if self.process.poll() is not None:
                self.exits += 1
                time.sleep(1)
                self._start()
            time.sleep(0.1)

    def start(self):
        self._start()
        threading.Thread(target=self._supervise, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def cron(stop, errors):
    """`manage.py retry_jobs` every 2 s; while PostgreSQL is down it fails like cron would."""
    from django.core.management import call_command
    from django.db import close_old_connections

    while not stop.wait(2):
        try:
            close_old_connections()
            call_command("retry_jobs", stdout=io.StringIO())
        except Exception:
            errors.append(time.monotonic())


def kill_after_commit(client, task_id, n):
    """A creator signs up, then completes day 1 (unlocking a milestone) and another signs up, each
    request asking the worker that serves it to die right after its COMMIT. Returns what happened."""
    from bench.kill_after_commit import HEADER

    password = "fault-run-password-1"
    client.call("POST", "/api/v1/auth/signup", {"email": f"kill{n}a@faults.local", "password": password, "platform": "youtube"})
    status, body = client.call("POST", "/api/v1/auth/token", {"email": f"kill{n}a@faults.local", "password": password})
    completed, _ = client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"quality": 4},
                               token=(body or {}).get("token"), headers={HEADER: "1"})
    signup, _ = client.call("POST", "/api/v1/auth/signup",
                            {"email": f"kill{n}b@faults.local", "password": password, "platform": "youtube"},
                            headers={HEADER: "1"})
    return f"completion {completed}, signup {signup}"


def inject(fault, seconds, email_workers, log, client, task_ids):
    """Runs in a thread: the fault, at a third (and two thirds) of the load."""
    from django.db import close_old_connections
    from django_tasks_db.models import DBTaskResult

    for at in (seconds / 3, 2 * seconds / 3) if fault != "pg-restart" else (seconds / 3,):
        time.sleep(max(0, at - (time.monotonic() - log["started"])))
        if fault == "worker-kill":
            victim = min(children(gunicorn_masters()[0]))
            os.kill(victim, signal.SIGKILL)
            log["events"].append(f"SIGKILL gunicorn worker {victim} at {at:.1f} s")
        elif fault == "app-kill-after-commit":
            outcome = kill_after_commit(client, task_ids[0], len(log["events"]))
            log["events"].append(f"workers killed right after COMMIT at {at:.1f} s: {outcome} (conn-error = killed)")
        elif fault == "pg-restart":
            started = time.monotonic()
            subprocess.run(PG_RESTART, check=True, capture_output=True)
            log["events"].append(f"PostgreSQL restarted at {at:.1f} s in {time.monotonic() - started:.1f} s")
        else:
            # Kill it with a job in hand (RUNNING), the case a killed worker leaves behind.
            close_old_connections()
            deadline = time.monotonic() + 5
            while not DBTaskResult.objects.filter(status="RUNNING").exists() and time.monotonic() < deadline:
                time.sleep(0.002)
            running = DBTaskResult.objects.filter(status="RUNNING").count()
            email_worker = email_workers[0]
            email_worker.process.kill()
            log["events"].append(f"SIGKILL email worker {email_worker.process.pid} at {at:.1f} s "
                                 f"({running} job(s) RUNNING just before)")


def pending_jobs():
    """Email jobs not finished: waiting, running, or failed and not yet retried."""
    from django.db import close_old_connections
    from django_tasks_db.models import DBTaskResult

    from core.models import JobRetry

    close_old_connections()  # this thread's connection may predate a PostgreSQL restart
    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING", "FAILED"]).exclude(
        pk__in=JobRetry.objects.values("job_id")).count()


def scaled_out(stack, workdir):
    """PgBouncer in front of the bench database and a streaming replica of it, both stopped when
    `stack` closes; returns the environment the app instances and the email workers run with."""
    from urllib.parse import urlsplit

    from django.conf import settings

    from core.testing.pgbouncer import PgBouncer
    from core.testing.replica import StreamingReplica

    primary = settings.DATABASES["default"]
    name, url = primary["NAME"], urlsplit(os.environ["DATABASE_URL"])
    pool = PgBouncer(tempfile.mkdtemp(prefix="cc-faults-pool-"), f"{url.scheme}://{url.netloc}").start()
    stack.callback(pool.stop)
    replica = StreamingReplica(primary).start()
    stack.callback(replica.destroy)
    return {"DATABASE_URL": pool.url(name), "DB_TRANSACTION_POOLING": "true",
            "DATABASE_REPLICA_URLS": f"postgres://{primary['USER']}@127.0.0.1:{replica.port}/{name}"}


def run(args):
    from billing.testing.stripe_emulator import StripeEmulator

    workdir = Path(tempfile.mkdtemp(prefix=f"cc-faults-{args.fault}-"))
    email_log = workdir / "emails.jsonl"
    email_log.touch()
    emulator = StripeEmulator().start()
    prepare(
        DEFAULT_URL, STRIPE_TEST_SECRET_KEY="sk_test_" + "faults" * 4, STRIPE_API_HOST=emulator.url,
        EMAIL_BACKEND="bench.mail.EmailBackend", BENCH_EMAIL_LOG=str(email_log), THROTTLE_SIGNUP="1000000/hour",
        SITE_URL="http://127.0.0.1",
    )
    import stripe
    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint

    from accounts.services import user_signup
    from bench import faultload
    from bench.faultchecks import check, report
    from billing.services import checkout
    from billing.tests import stripe_objects as so
    from tasks.models import RoadmapTask

    stripe.api_base = emulator.url
    for obj in so.products_and_prices():
        emulator.put(obj)
    call_command("stripe_webhook_endpoint", "--local", "--base-url", "http://127.0.0.1", stdout=io.StringIO())
    endpoint = WebhookEndpoint.objects.get()
    scenarios = []
    for i in range(args.paying):
        user = user_signup(email=f"payer{i}@faults.local", password="fault-run-password-1", platform="youtube").user
        scenarios.append(faultload.Scenario(("renew", "cancel")[i % 2], checkout.customer_for(user).id, emulator))
    task_ids = list(RoadmapTask.objects.filter(platform="youtube", is_active=True, day__lte=30)
                    .order_by("day", "order").values_list("id", flat=True))

    with ExitStack() as stack:
        app_environment, instances = {}, 1
        if args.scaled:
            app_environment, instances = scaled_out(stack, workdir), 2
        email_workers = [EmailWorker(workdir / f"worker{n}.log", app_environment) for n in range(instances)]
        for email_worker in email_workers:
            email_worker.start()
        recorder = faultload.Recorder()
        log = {"started": recorder.started, "events": []}
        stop_cron, cron_errors = threading.Event(), []
        bases = [stack.enter_context(gunicorn(args.workers, workdir / f"gunicorn{n}.log", extra_env=app_environment,
                                              app_log=workdir / f"app{n}.log")) for n in range(instances)]
        clients = [faultload.Client(int(base.rsplit(":", 1)[1]), recorder) for base in bases]
        mailbox = faultload.Mailbox(email_log)
        deadline = recorder.started + args.seconds
        threads = [faultload.LoadThread(i, clients[i % instances], mailbox, task_ids, scenarios[i::args.threads],
                                        (f"/stripe/webhook/{endpoint.djstripe_uuid}/", endpoint.secret), deadline)
                   for i in range(args.threads)]
        threading.Thread(target=cron, args=(stop_cron, cron_errors), daemon=True).start()
        faulter = threading.Thread(target=inject, args=(args.fault, args.seconds, email_workers, log, clients[0], task_ids),
                                   daemon=True)
        for thread in [*threads, faulter]:
            thread.start()
        for thread in [*threads, faulter]:
            thread.join()
        load_seconds = time.monotonic() - recorder.started
        drain_started = time.monotonic()
        while pending_jobs() and time.monotonic() - drain_started < args.drain:
            time.sleep(0.5)
        drained = time.monotonic() - drain_started
        workers_alive = sum(len(children(master)) for master in gunicorn_masters())
        stop_cron.set()
        for email_worker in email_workers:
            email_worker.stop()
    emulator.stop()

    results = check(scenarios=scenarios, email_log=email_log, recorder=recorder, load_seconds=load_seconds,
                    workers=(workers_alive, args.workers * instances))
    report(args=args, log=log, recorder=recorder, load_seconds=load_seconds, drained=drained,
           email_worker_exits=sum(worker.exits for worker in email_workers), cron_errors=len(cron_errors), results=results, workdir=workdir)
    return 0 if all(ok for _, ok, _ in results["invariants"]) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault", choices=[*FAULTS, "all"], required=True)
    parser.add_argument("--seconds", type=int, default=30, help="load duration")
    parser.add_argument("--threads", type=int, default=8, help="load generator threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--paying", type=int, default=16, help="creators with a Stripe history")
    parser.add_argument("--drain", type=int, default=120, help="at most this long for the email jobs to finish")
    parser.add_argument("--scaled", action="store_true",
                        help="two gunicorn instances and two email workers through PgBouncer, with a streaming replica")
    parser.add_argument("--plant", choices=["enqueue-on-commit"],
                        help="put a fixed defect back into the app for this run, to see the checks fail")
    args = parser.parse_args()
    if args.plant:
        os.environ["BENCH_PLANT"] = args.plant  # read by bench/kill_after_commit.py in the app
    if args.fault == "all":
        # One process per fault: each run sets Django up on its own fresh database.
        codes = [subprocess.run([sys.executable, __file__, *sys.argv[1:], "--fault", fault]).returncode for fault in FAULTS]
        sys.exit(max(codes))
    sys.exit(run(args))


if __name__ == "__main__":
    main()
