"""Benchmark: audit_integrity on generated databases of N creators, several sizes in one run.

    .venv/bin/python bench/audit.py [--creators 100000,1000000] [--runs 3]

For each size, builds the rows with set-based SQL on a fresh PostgreSQL database (creators with
profile, stats, enrollment, three completions on three days in a row, their achievements
(tasks-1, streak-3) and celebrations, an ideas counter), plants one breach of each kind the data
can show, then times the audit (each invariant's query in every run, and the median of the runs)
and checks it finds exactly those. Then it adds a milestone every creator already crossed (2
tasks) and times `grant_milestones` (ops.grants), which gives it to all of them, and the same
grant again, which gives nothing. With several sizes it prints the ratio of the largest to the
smallest, in total and per invariant, and fails when the total grows worse than linearly (more
than 1.2 × the ratio of the sizes: 12× for 100k → 1M). The database is dropped at the end.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import configure, drop_database, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_audit"

GENERATE = [
    "INSERT INTO accounts_user (password, is_superuser, email, is_active, is_staff, date_joined) "
    "SELECT '!', false, 'audit' || g || '@bench.local', true, false, now() FROM generate_series(1, %(n)s) g",
    "INSERT INTO accounts_creatorprofile (user_id, platform, niche, timezone, display_name, milestone_emails) "
    "SELECT id, 'youtube', '', 'UTC', 'Bench', false FROM accounts_user",
    "INSERT INTO accounts_enrollment (user_id, platform, started_on, current_phase, current_week, created_at) "
    "SELECT id, 'youtube', current_date - 2, 1, 1, now() FROM accounts_user",
    # the first three tasks, one a day for the last three days
    "INSERT INTO tasks_taskcompletion (user_id, task_id, quality, notes, points, completed_at, local_date, "
    "completed_phase) SELECT u.id, t.id, 3, '', 16, now() - (3 - t.k) * interval '1 day', "
    "current_date - (3 - t.k)::int, false FROM accounts_user u "
    "CROSS JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY day, \"order\") AS k FROM tasks_roadmaptask "
    "WHERE platform = 'youtube' ORDER BY day, \"order\" LIMIT 3) t",
    "INSERT INTO accounts_creatorstats (user_id, points, tasks_completed, current_streak, longest_streak, last_active_on) "
    "SELECT user_id, SUM(points), COUNT(*), 3, 3, current_date FROM tasks_taskcompletion GROUP BY user_id",
    "INSERT INTO milestones_milestoneachievement (user_id, milestone_id, achieved_at) "
    "SELECT u.id, m.id, now() FROM accounts_user u JOIN milestones_milestone m ON m.code IN ('tasks-1', 'streak-3')",
    "INSERT INTO milestones_celebration (achievement_id, user_id, created_at, seen_at) "
    "SELECT id, user_id, now(), now() FROM milestones_milestoneachievement",
    "INSERT INTO usage_usagecounter (user_id, feature, period_start, starts_at, resets_at, used, created_at) "
    "SELECT id, 'ideas', current_date, now() - interval '19 hours', now() + interval '5 hours', 2, now() FROM accounts_user",
    "VACUUM ANALYZE",  # as autovacuum leaves a table in use (visibility map for index-only scans), and never mid-run
]
FIRST = "(SELECT MIN(id) FROM accounts_user)"
STREAK_3 = "(SELECT id FROM milestones_milestone WHERE code = 'streak-3')"
POINTS_1000 = "(SELECT id FROM milestones_milestone WHERE code = 'points-1000')"
PLANT = {  # one breach of each kind the generated data can show, on seven creators
    "stats_equal_completions": [f"UPDATE accounts_creatorstats SET points = points + 1 WHERE user_id = {FIRST}"],
    "achievement_has_celebration": [
        "DELETE FROM milestones_celebration WHERE achievement_id = (SELECT id FROM milestones_milestoneachievement "
        f"WHERE user_id = {FIRST} + 1 AND milestone_id = {STREAK_3})"],
    "counter_within_limit": [f"UPDATE usage_usagecounter SET used = 9 WHERE user_id = {FIRST} + 2"],
    "stats_equal_completions (a streak)": [
        f"UPDATE accounts_creatorstats SET current_streak = 1, longest_streak = 2 WHERE user_id = {FIRST} + 3"],
    "crossed_threshold_has_achievement": [
        "DELETE FROM milestones_celebration WHERE achievement_id = (SELECT id FROM milestones_milestoneachievement "
        f"WHERE user_id = {FIRST} + 4 AND milestone_id = {STREAK_3})",
        f"DELETE FROM milestones_milestoneachievement WHERE user_id = {FIRST} + 4 AND milestone_id = {STREAK_3}"],
    "achievement_earned_by_completions": [
        "INSERT INTO milestones_milestoneachievement (user_id, milestone_id, achieved_at) "
        f"VALUES ({FIRST} + 5, {POINTS_1000}, now())",
        "INSERT INTO milestones_celebration (achievement_id, user_id, created_at) SELECT id, user_id, now() "
        f"FROM milestones_milestoneachievement WHERE user_id = {FIRST} + 5 AND milestone_id = {POINTS_1000}"],
    "enrollment_week_ahead_of_completions": [
        f"UPDATE accounts_enrollment SET current_week = 3 WHERE user_id = {FIRST} + 6"],
    "points_follow_quality": [  # and the stats that add them up, so that only the points are wrong
        f"UPDATE tasks_taskcompletion SET points = 17 WHERE id = (SELECT MIN(id) FROM tasks_taskcompletion "
        f"WHERE user_id = {FIRST} + 7)",
        f"UPDATE accounts_creatorstats SET points = points + 1 WHERE user_id = {FIRST} + 7"],
    "account_has_stats": [f"DELETE FROM accounts_creatorstats WHERE user_id = {FIRST} + 8"],
    "platforms_counter_equals_enrollments": [  # 0 for 1 enrollment: below the free plan's limit too
        "INSERT INTO usage_usagecounter (user_id, feature, period_start, starts_at, resets_at, used, created_at) "
        f"VALUES ({FIRST} + 9, 'platforms', '2000-01-01', '2000-01-01T00:00:00Z', NULL, 0, now())"],
    "ideas_counter_covers_ideas_saved": [
        "INSERT INTO tasks_contentidea (user_id, title, notes, created_at, updated_at) "
        f"SELECT {FIRST} + 10, 'idea', '', now() - interval '1 hour', now() FROM generate_series(1, 3)"],
}


def generate_and_plant(creators):
    """`creators` generated creators in place of any before (the content stays), then the plants;
    returns the audit's breaches before the plants (none expected)."""
    from django.db import connection

    from ops import audit

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # one INSERT of 1M creators takes minutes
        cursor.execute("TRUNCATE accounts_user RESTART IDENTITY CASCADE")  # and every table of a creator's rows
        for sql in GENERATE:
            cursor.execute(sql, {"n": creators})
        cursor.execute("RESET statement_timeout")  # the audit runs under the product's session settings
    print(f"generated {creators} creators in {time.perf_counter() - started:.1f}s", flush=True)
    clean = audit.audit()
    with connection.cursor() as cursor:
        for statements in PLANT.values():
            for sql in statements:
                cursor.execute(sql)
    return clean


def timed_audit():
    """One audit, invariant by invariant: ({check name: seconds}, breaches)."""
    from ops import audit

    seconds, found = {}, []
    for check in audit.CHECKS:
        started = time.perf_counter()
        found += check()
        seconds[check.__name__] = time.perf_counter() - started
    return seconds, found


def measure(creators, runs):
    """Generate, plant and audit `runs` times, printing each invariant's runs and median. Returns
    ({check name: median seconds, "total": median of the runs' totals}, whether the audit found
    exactly the plants)."""
    clean = generate_and_plant(creators)
    load_before = os.getloadavg()[0]
    timings, found = [], []
    for _ in range(runs):
        seconds, found = timed_audit()
        timings.append({**seconds, "total": sum(seconds.values())})
    medians = {name: statistics.median(run[name] for run in timings) for name in timings[0]}
    print(f"audit of {creators} creators, {len(timings[0]) - 1} invariants, one query each "
          f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after):")
    for name, median in medians.items():
        print(f"  {name:36} median {median:7.2f}s   runs {', '.join(f'{run[name]:.2f}' for run in timings)}")
    expected = sorted(name.split(" ")[0] for name in PLANT)
    found = sorted(breach.check for breach in found)
    exact = not clean and found == expected
    print(f"  clean database: {len(clean)} breaches; after planting {len(PLANT)}: {found} "
          f"({'exactly the planted ones' if exact else f'NOT the planted ones, expected {expected}'})", flush=True)
    return medians, exact


def timed_grant(creators):
    """A milestone every generated creator crossed (their 2nd completion), added to the catalogue;
    `grant_milestones` twice: the first gives it to every creator (and streak-3 back to the creator
    whose achievement was planted away), the second gives nothing."""
    from django.db import connection

    from core.catalog import catalogue_changed
    from ops.grants import milestones_grant_crossed

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO milestones_milestone (code, kind, threshold, platform, title, message, is_active) "
                       "VALUES ('bench-tasks-2', 'tasks_completed', 2, '', 'Two', 'Two tasks.', true)")
    catalogue_changed()
    for attempt in ("first", "again"):
        started = time.perf_counter()
        granted = milestones_grant_crossed()
        print(f"  grant_milestones ({attempt}): {granted} granted to {creators} creators in "
              f"{time.perf_counter() - started:.2f}s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", default="100000", help="sizes, comma-separated: 100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.creators.split(","))
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(database_url)
    configure(database_url)
    from django.core.management import call_command
    from django.db import connection

    results = {}
    try:
        call_command("migrate", verbosity=0)  # once: migrating takes minutes
        call_command("load_content", verbosity=0)
        for creators in sizes:
            results[creators] = measure(creators, args.runs)
            timed_grant(creators)
    finally:
        connection.close()
        drop_database(database_url)
    failures = [f"{creators} creators: not exactly the planted breaches"
                for creators, (_, exact) in results.items() if not exact]
    if len(sizes) > 1:
        small, large = results[sizes[0]][0], results[sizes[-1]][0]
        bound = 1.2 * sizes[-1] / sizes[0]
        ratio = large["total"] / small["total"]
        print(f"{sizes[-1]} / {sizes[0]} creators: the audit took {ratio:.1f}x (linear or better: at most {bound:g}x); "
              "per invariant: " + ", ".join(f"{name} {large[name] / small[name]:.1f}x" for name in small if name != "total"))
        if ratio > bound:
            failures.append(f"the audit took {ratio:.1f}x for {sizes[-1] / sizes[0]:g}x the creators")
    if failures:
        sys.exit("; ".join(failures))


if __name__ == "__main__":
    main()
