"""Cross-table invariants (DESIGN.md §7), checked with set-based SQL. Lives in ops, the top
floor, because it reads every app's tables.

Each check is one query over the whole database (no per-creator loop), so 100k creators take
seconds. What is derived from the completions (stats, achievements, enrollment weeks) is
checked against the replay of the completions in SQL (ops.audit_sql), never against other
derived columns that may have drifted too. The promises between tables that no replay derives
(counters and their rows, an account's rows, billing) are ops.audit_promises. `--fix`
(ops.repair) re-derives what the facts decide and names what only a person can.
"""

import dataclasses
import time

from django.utils import timezone

from accounts.services import StatsTally
from billing.plan_rules import MANAGEABLE_STATUSES, plan_code_sql
from ops import audit_promises, audit_sql
from ops.audit_query import Breach, audit_deadline, rows
from ops.account_deletion import deleted_creator_references
from ops.replay import START
from reminders.selectors import schedule_breaches
from usage.catalog import FEATURES

STATS_COLUMNS = [field.name for field in dataclasses.fields(StatsTally)]


def stats_mismatches():
    """Stats that are not what the creator's completions add up to (every column: points, tasks
    completed, current and longest streak, last active date). The stored current streak is the
    run ending on the last active date, so an idle creator's is not a breach: the streak they
    read (accounts.streaks) is derived from it on read, and a reader that wrote its 0 back would
    be one (accounts/tests/test_streaks.py plants it)."""
    found = rows(
        audit_sql.with_ctes(audit_sql.steps(), audit_sql.derived_stats())
        + "SELECT s.user_id, s.points, s.tasks_completed, s.current_streak, s.longest_streak, s.last_active_on, "
        "COALESCE(d.points, 0) AS d_points, COALESCE(d.tasks_completed, 0) AS d_tasks_completed, "
        "COALESCE(d.current_streak, 0) AS d_current_streak, COALESCE(d.longest_streak, 0) AS d_longest_streak, "
        "d.last_active_on AS d_last_active_on "
        "FROM accounts_creatorstats s LEFT JOIN derived d ON d.user_id = s.user_id "
        "WHERE s.points <> COALESCE(d.points, 0) OR s.tasks_completed <> COALESCE(d.tasks_completed, 0) "
        "OR s.current_streak <> COALESCE(d.current_streak, 0) OR s.longest_streak <> COALESCE(d.longest_streak, 0) "
        "OR s.last_active_on <> d.last_active_on OR (s.last_active_on IS NULL) <> (d.last_active_on IS NULL)"
    )
    return [
        Breach("stats_equal_completions", {"user_id": r["user_id"]},
               ", ".join(f"{column} {r[column]} vs {r['d_' + column]}" for column in STATS_COLUMNS
                         if str(r[column]) != str(r["d_" + column])))
        for r in found
    ]


def missing_achievements():
    """Active milestones a creator's completions crossed (replayed, not read from the stats
    columns, which may have drifted) without the achievement."""
    found = rows(
        audit_sql.with_ctes(audit_sql.steps(), audit_sql.earned())
        + "SELECT DISTINCT e.user_id, e.milestone_id, m.code FROM earned e "
        "JOIN milestones_milestone m ON m.id = e.milestone_id AND m.is_active "
        "LEFT JOIN milestones_milestoneachievement a ON a.user_id = e.user_id AND a.milestone_id = e.milestone_id "
        "WHERE a.id IS NULL"
    )
    return [Breach("crossed_threshold_has_achievement", {"user_id": r["user_id"], "milestone_id": r["milestone_id"]},
                   f"crossed {r['code']} without the achievement") for r in found]


def unearned_achievements():
    """Achievements of milestones the creator's completions never crossed, neither under the
    catalogue of each completion's moment nor under today's: an achievement is a fact, which
    no content edit makes unearned (docs/content-and-audit.md), so one of these was written by
    something other than the product. Not repaired: a person decides (--fix never revokes)."""
    found = rows(
        audit_sql.with_ctes(audit_sql.steps(), audit_sql.earned())
        + "SELECT a.user_id, a.milestone_id, m.code FROM milestones_milestoneachievement a "
        "JOIN milestones_milestone m ON m.id = a.milestone_id "
        "LEFT JOIN earned e ON e.user_id = a.user_id AND e.milestone_id = a.milestone_id WHERE e.user_id IS NULL"
    )
    return [Breach("achievement_earned_by_completions", {"user_id": r["user_id"], "milestone_id": r["milestone_id"]},
                   f"{r['code']} achieved, but the completions never crossed it") for r in found]


def missing_celebrations():
    found = rows(
        "SELECT a.user_id, a.milestone_id FROM milestones_milestoneachievement a "
        "LEFT JOIN milestones_celebration c ON c.achievement_id = a.id WHERE c.id IS NULL"
    )
    return [Breach("achievement_has_celebration", {"user_id": r["user_id"], "milestone_id": r["milestone_id"]},
                   "achievement without its celebration") for r in found]


def enrollment_weeks_drifted():
    """Enrollments not at the phase and week their creator's completions recorded moving them
    to: behind it (`enrollment_week_follows_completions`, --fix moves them forward) or ahead of
    it (`enrollment_week_ahead_of_completions`: never moved back by a repair, for a person)."""
    start_phase, start_week = START
    phase, week = f"COALESCE(p.phase, {start_phase})", f"COALESCE(p.week, {start_week})"
    found = rows(
        audit_sql.with_ctes(audit_sql.positions())
        + f"SELECT e.user_id, e.platform, e.current_phase, e.current_week, {phase} AS phase, {week} AS week, "
        f"CASE WHEN e.current_phase > {phase} OR (e.current_phase = {phase} AND e.current_week > {week}) "
        "THEN 1 ELSE 0 END AS ahead FROM accounts_enrollment e "
        "LEFT JOIN positions p ON p.user_id = e.user_id AND p.platform = e.platform "
        f"WHERE e.current_phase <> {phase} OR e.current_week <> {week}"
    )
    return [Breach("enrollment_week_ahead_of_completions" if r["ahead"] else "enrollment_week_follows_completions",
                   {"user_id": r["user_id"], "platform": r["platform"]},
                   f"at phase {r['current_phase']} week {r['current_week']}, "
                   f"the completions say phase {r['phase']} week {r['week']}") for r in found]


def counters_over_limit(now=None):
    """Open counters above the limit of the plan in force, for creators whose plan did not
    change during the period (a downgrade legitimately keeps what was used)."""
    now = now or timezone.now()
    plan, plan_params = plan_code_sql(alias="e", now=now)
    limits, limit_params = [], []
    for feature, spec in FEATURES.items():
        for plan_code, limit in spec.limits.items():
            if limit is not None:
                limits.append(f"(c.feature = %s AND ({plan}) = %s AND c.used > %s)")
                limit_params += [feature, *plan_params, plan_code, limit]
    found = rows(
        f"SELECT c.id, c.user_id, c.feature, c.used FROM usage_usagecounter c "
        f"LEFT JOIN billing_entitlement e ON e.user_id = c.user_id "
        f"WHERE (c.resets_at IS NULL OR c.resets_at > %s) AND (e.id IS NULL OR e.updated_at < c.created_at) "
        f"AND ({' OR '.join(limits)})",
        [now, *limit_params],
    )
    return [Breach("counter_within_limit", {"user_id": r["user_id"], "counter_id": r["id"]},
                   f"{r['feature']} used {r['used']} above the plan's limit") for r in found]


def counter_periods_overlapping():
    """Two periods of one creator's feature that share an instant: a unit used then would count
    against either (a period is fixed when it opens, and the next one starts no earlier than
    its end; usage.catalog.period_opening)."""
    found = rows(
        "SELECT a.id AS first_id, b.id AS second_id, a.user_id, a.feature FROM usage_usagecounter a "
        "JOIN usage_usagecounter b ON b.user_id = a.user_id AND b.feature = a.feature AND b.id > a.id "
        "WHERE (b.resets_at IS NULL OR a.starts_at < b.resets_at) AND (a.resets_at IS NULL OR b.starts_at < a.resets_at)"
    )
    return [Breach("counter_periods_do_not_overlap",
                   {"user_id": r["user_id"], "counter_id": r["first_id"], "overlapping_counter_id": r["second_id"]},
                   f"{r['feature']} periods of counters {r['first_id']} and {r['second_id']} overlap") for r in found]


def paid_without_subscription():
    found = rows(
        "SELECT e.user_id, e.stripe_subscription_id FROM billing_entitlement e "
        "LEFT JOIN djstripe_subscription s ON s.id = e.stripe_subscription_id "
        "WHERE e.source = 'stripe' AND e.status IN (%s, %s, %s) AND s.id IS NULL",
        sorted(MANAGEABLE_STATUSES),
    )
    return [Breach("paid_entitlement_has_subscription", {"user_id": r["user_id"]},
                   f"paying through {r['stripe_subscription_id'] or '(none)'} which is not stored") for r in found]


def payments_without_user():
    found = rows(
        "SELECT p.id FROM billing_payment p LEFT JOIN accounts_user u ON u.id = p.user_id "
        "WHERE u.id IS NULL AND p.tombstone_id IS NULL"
    )
    return [Breach("payment_has_user", {"payment_id": r["id"]}, "payment of a missing user") for r in found]


def reminder_schedules_drifted():
    """A stored next-due reminder instant that is not what the creator's zone, preference and
    claims say (reminders.selectors.schedule_breaches); one reminder per creator, kind and local
    date is the claim's unique constraint."""
    return [Breach("reminder_schedule_matches", {"user_id": user_id}, problem)
            for user_id, problem in schedule_breaches()]


def deleted_creators_referenced():
    return [Breach("deleted_creator_has_no_rows", {"table": table}, f"{count} rows still reference a deleted creator")
            for table, count in deleted_creator_references().items()]


CHECKS = [stats_mismatches, missing_achievements, unearned_achievements, missing_celebrations,
          enrollment_weeks_drifted, counters_over_limit, counter_periods_overlapping, paid_without_subscription,
          payments_without_user, reminder_schedules_drifted, deleted_creators_referenced, *audit_promises.CHECKS]


def audit(*, within=None):
    """Every breach of every invariant. `within` (seconds): the whole audit's budget, for a page;
    TooLong if it runs out (no half answer: a check not run could hide a breach)."""
    token = audit_deadline.set(None if within is None else time.monotonic() + within)
    try:
        return [breach for check in CHECKS for breach in check()]
    finally:
        audit_deadline.reset(token)
