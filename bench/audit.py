"""Benchmark: audit_integrity on a generated database of N creators (default 100,000).

    .venv/bin/python bench/audit.py [--creators 100000]

Builds the rows with set-based SQL on a fresh PostgreSQL database (creators with profile,
stats, enrollment, three completions on three days in a row, their achievements (tasks-1,
streak-3) and celebrations, an ideas counter), plants one breach of each kind the data can
show, then times the audit (median of 3) and checks it finds exactly those.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import configure, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creatorcompass_bench_audit"

GENERATE = [
    "INSERT INTO accounts_user (password, is_superuser, email, is_active, is_staff, date_joined) "
    "SELECT '!', false, 'audit' || g || '@bench.local', true, false, now() FROM generate_series(1, %(n)s) g",
    "INSERT INTO accounts_creatorprofile (user_id, platform, niche, timezone, display_name, milestone_emails) "
    "SELECT id, 'youtube', '', 'UTC', 'Bench', false FROM accounts_user",
    "INSERT INTO accounts_enrollment (user_id, platform, started_on, current_phase, current_week, created_at) "
    "SELECT id, 'youtube', current_date - 2, 1, 1, now() FROM accounts_user",
    # the first three tasks, one a day for the last three days
    "INSERT INTO tasks_taskcompletion (user_id, task_id, quality, notes, points, completed_at, local_date) "
    "SELECT u.id, t.id, 3, '', 16, now() - (3 - t.k) * interval '1 day', current_date - (3 - t.k)::int FROM accounts_user u "
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
    "ANALYZE",
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
    "enrollment_week_follows_completions": [
        f"UPDATE accounts_enrollment SET current_week = 3 WHERE user_id = {FIRST} + 6"],
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    args = parser.parse_args()
    import os

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(database_url)
    configure(database_url)
    from django.core.management import call_command
    from django.db import connection

    from ops import audit

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in GENERATE:
            cursor.execute(sql, {"n": args.creators})
    print(f"generated {args.creators} creators in {time.perf_counter() - started:.1f}s")
    clean = audit.audit()
    with connection.cursor() as cursor:
        for statements in PLANT.values():
            for sql in statements:
                cursor.execute(sql)
    timings, found = [], None
    for _ in range(3):
        started = time.perf_counter()
        found = audit.audit()
        timings.append(time.perf_counter() - started)
    print(f"audit of {args.creators} creators: median {statistics.median(timings):.2f}s "
          f"(runs {', '.join(f'{t:.2f}' for t in timings)}), {len(audit.CHECKS)} invariants, one query each")
    print(f"clean database: {len(clean)} breaches; after planting {len(PLANT)}: {sorted(b.check for b in found)}")
    expected = sorted(name.split(" ")[0] for name in PLANT)
    if clean or sorted(b.check for b in found) != expected:
        sys.exit(f"expected no breach on the clean database, then exactly {expected}")


if __name__ == "__main__":
    main()
