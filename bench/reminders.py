"""Benchmark: the reminder sweep at N creators over real time-zone populations (PostgreSQL).

    .venv/bin/python bench/reminders.py [--creators 1000000] [--workers 1,2] [--drain-seconds 30]

Builds N creators with set-based SQL on a fresh database (user, profile, stats, enrollment, a
daily reminder time and the streak nudge, and their schedules computed by the product's own
reminders.schedule for each (zone, time)), then:
- sweeps the minute before the busiest minute (untimed), then times the sweep of the busiest
  minute batch by batch, as `reminders_scheduler` runs it: queries per batch, the time to queue
  the minute's reminders, and each reminder's lag (its batch's commit after the minute began),
  p50 and p99;
- runs W email workers (`manage.py db_worker`, a dummy email backend: our job's cost, not the
  provider's) for a fixed time, and extrapolates how long they take to drain the busiest
  minute's wave.
The database is dropped at the end.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, configure, drop_database, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_i32"
# Creators per time zone, per mille: a creator economy's rough shape (the Americas, Europe,
# India and South-East Asia heavy), from the zones creators most often sign up with.
ZONES = {
    "America/New_York": 140, "America/Los_Angeles": 90, "America/Chicago": 70, "America/Sao_Paulo": 60,
    "America/Mexico_City": 40, "America/Bogota": 20, "America/Toronto": 20, "Europe/London": 60,
    "Europe/Berlin": 50, "Europe/Paris": 40, "Europe/Madrid": 20, "Europe/Istanbul": 20, "Africa/Lagos": 30,
    "Africa/Cairo": 10, "Asia/Kolkata": 100, "Asia/Jakarta": 50, "Asia/Manila": 40, "Asia/Tokyo": 40,
    "Asia/Seoul": 20, "Asia/Shanghai": 20, "Australia/Sydney": 20, "Pacific/Auckland": 10, "Asia/Dubai": 10,
    "America/Argentina/Buenos_Aires": 20,
}
# Reminder times per mille: most keep the suggested 09:00, the rest spread over the day.
TIMES = {"09:00": 550, "07:00": 80, "08:00": 100, "08:30": 40, "12:00": 50, "18:00": 80, "19:30": 50, "21:00": 50}
BATCH = 500


def _buckets(weights):
    """[(low, high, value)] per-mille ranges, covering 0..999."""
    assert sum(weights.values()) == 1000, sum(weights.values())
    ranges, low = [], 0
    for value, weight in weights.items():
        ranges.append((low, low + weight, value))
        low += weight
    return ranges


def _case(column, weights):
    return "CASE " + " ".join(f"WHEN {column} < {high} THEN '{value}'" for _, high, value in _buckets(weights)) + " END"


def build(creators, start):
    from django.db import connection

    from reminders.schedule import NUDGE_AT, next_due, zone_of

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, email, is_active, is_staff, date_joined) "
            "SELECT '!', false, 'r' || g || '@bench.local', true, false, now() FROM generate_series(1, %s) g",
            [creators],
        )
        # Zones and times from two independent hashes of the id, so every zone has every time.
        cursor.execute(
            "INSERT INTO accounts_creatorprofile (user_id, platform, niche, timezone, display_name, milestone_emails, "
            "reminder_at, streak_nudge) "
            f"SELECT id, 'youtube', '', {_case('mod(id * 7919, 1000)', ZONES)}, 'Bench', false, "
            f"({_case('mod(id * 104729, 1000)', TIMES)})::time, true FROM accounts_user"
        )
        # A third have a 3-day streak that ended yesterday (their nudge is due at 20:00).
        cursor.execute(
            "INSERT INTO accounts_creatorstats (user_id, points, tasks_completed, current_streak, longest_streak, "
            "last_active_on) SELECT id, 48, 3, CASE WHEN mod(id, 3) = 0 THEN 3 ELSE 0 END, 3, "
            "CASE WHEN mod(id, 3) = 0 THEN %s::date - 1 END FROM accounts_user",
            [start.date()],
        )
        cursor.execute(
            "INSERT INTO accounts_enrollment (user_id, platform, started_on, current_phase, current_week, created_at) "
            "SELECT id, 'youtube', %s::date - 3, 1, 1, now() FROM accounts_user", [start.date()],
        )
        combos = []
        for zone in ZONES:
            for kind, at in [("daily", datetime.time.fromisoformat(t)) for t in TIMES] + [("streak", NUDGE_AT)]:
                due_on, due_at = next_due(at=at, zone=zone_of(zone), now=start)
                combos.append((zone, kind, at, due_on, due_at))
        cursor.execute("CREATE TEMP TABLE combo (zone text, kind text, at time, due_on date, due_at timestamptz)")
        cursor.executemany("INSERT INTO combo VALUES (%s, %s, %s, %s, %s)", combos)
        cursor.execute(
            "INSERT INTO reminders_reminderschedule (user_id, kind, local_time, zone, due_on, due_at) "
            "SELECT p.user_id, c.kind, c.at, c.zone, c.due_on, c.due_at FROM accounts_creatorprofile p "
            "JOIN combo c ON c.zone = p.timezone AND (c.kind = 'streak' OR c.at = p.reminder_at)"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT due_at, count(*) FROM reminders_reminderschedule GROUP BY due_at ORDER BY 2 DESC LIMIT 1")
        return cursor.fetchone()


def sweep_timed(now):
    """The product's sweep of `now` (reminders_sweep), each batch timed: [(seconds since start at
    its commit, due, queued, queries)]."""
    from django.db import connection

    from reminders import services

    batches, counted, started = [], [0], time.perf_counter()
    original = services.reminders_queue_due

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    def timed(**kwargs):
        counted[0] = 0
        result = original(**kwargs)
        batches.append((time.perf_counter() - started, result.due, result.queued, counted[0]))
        return result

    services.reminders_queue_due = timed
    try:
        with connection.execute_wrapper(count):
            services.reminders_sweep(now=now, batch_size=BATCH)
    finally:
        services.reminders_queue_due = original
    return batches


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def jobs_on_real_today():
    """The queued reminder jobs re-dated to each creator's local date now: the job re-checks at
    send time that its date is today, and the bench's minute is not today's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE django_tasks_database_dbtaskresult r SET args_kwargs = jsonb_set(r.args_kwargs, '{args,2}', "
            "to_jsonb(((now() AT TIME ZONE p.timezone)::date)::text)) FROM accounts_creatorprofile p "
            "WHERE r.task_path LIKE '%%send_reminder' AND p.user_id = (r.args_kwargs->'args'->>0)::int"
        )
        cursor.execute("UPDATE accounts_enrollment SET started_on = current_date - 3")


def drain(workers, seconds, database_url):
    """Reminder jobs done by `workers` db_worker processes in `seconds` (a dummy email backend):
    (done, {return value: count})."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    env = {**os.environ, "DATABASE_URL": database_url, "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
           "LOG_LEVEL": "WARNING"}
    processes = [subprocess.Popen([sys.executable, "manage.py", "db_worker", "--interval", "0.1"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    time.sleep(seconds)
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    done = DBTaskResult.objects.filter(status="SUCCESSFUL").count() - before
    outcomes = dict(DBTaskResult.objects.exclude(status="READY").values_list("return_value")
                    .annotate(n=Count("id")).values_list("return_value", "n"))
    return done, outcomes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--drain-seconds", type=float, default=30)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(database_url)
    configure(database_url)
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        call_command("load_content", verbosity=0)
        start = datetime.datetime(2026, 12, 8, 0, 0, tzinfo=datetime.UTC)
        built = time.perf_counter()
        busiest, wave = build(args.creators, start)
        print(f"{args.creators} creators built in {time.perf_counter() - built:.0f} s; busiest minute "
              f"{busiest:%Y-%m-%d %H:%M} UTC with {wave} reminders due")
        sweep_timed(busiest - datetime.timedelta(minutes=1))  # the minute before: untimed
        batches = sweep_timed(busiest)
        queued = sum(b[2] for b in batches)
        lags = [seconds for seconds, _, queued_in_batch, _ in batches for _ in range(queued_in_batch)]
        full = [b[3] for b in batches if b[1] == BATCH]
        print(f"sweep of the busiest minute: {len(batches)} batches of up to {BATCH}, queries per full batch "
              f"{sorted(set(full))}, {queued} reminders queued in {batches[-1][0]:.1f} s "
              f"({queued / batches[-1][0]:.0f}/s); lag p50 {percentile(lags, 0.5):.1f} s, p99 {percentile(lags, 0.99):.1f} s, "
              f"max {max(lags, default=0):.1f} s")
        jobs_on_real_today()
        for workers in [int(w) for w in args.workers.split(",")]:
            done, outcomes = drain(workers, args.drain_seconds, database_url)
            rate = done / args.drain_seconds
            print(f"{workers} email worker(s): {done} jobs in {args.drain_seconds:.0f} s ({rate:.1f}/s; so far {outcomes}); "
                  f"the {queued}-email wave drains in ~{queued / max(rate, 0.001) / 60:.0f} min")
    finally:
        connection.close()
        drop_database(database_url)


if __name__ == "__main__":
    main()
