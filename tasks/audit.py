"""Cross-table invariants (DESIGN.md §7), checked with set-based SQL, and the repairs that can
be derived. Lives in tasks because it reads every app's tables, and tasks is the top of the
dependency chain (tasks → milestones, usage → billing → accounts).

Each check is one query over the whole database (no per-creator loop), so 100k creators take
seconds. `--fix` repairs what is derivable, one durable transaction per creator.
"""

import dataclasses

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from accounts import services as account_services
from billing.models import EntitlementStatus, PlanCode
from core.transactions import durable_service
from milestones import services as milestone_services
from tasks.models import TaskCompletion
from usage.catalog import FEATURES


@dataclasses.dataclass
class Breach:
    check: str
    ids: dict  # what identifies the breach (user_id, milestone_id, counter id, …)
    detail: str


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def stats_mismatches():
    """Stats that are not the sum of the creator's completions."""
    rows = _rows(
        "SELECT s.user_id, s.points, s.tasks_completed, COALESCE(t.points, 0) AS sum_points, COALESCE(t.n, 0) AS n "
        "FROM accounts_creatorstats s LEFT JOIN (SELECT user_id, COUNT(*) AS n, SUM(points) AS points "
        "FROM tasks_taskcompletion GROUP BY user_id) t ON t.user_id = s.user_id "
        "WHERE s.points <> COALESCE(t.points, 0) OR s.tasks_completed <> COALESCE(t.n, 0)"
    )
    return [
        Breach("stats_equal_completions", {"user_id": r["user_id"]},
               f"points {r['points']} vs {r['sum_points']}, tasks_completed {r['tasks_completed']} vs {r['n']}")
        for r in rows
    ]


def missing_achievements():
    """Thresholds a creator's stats have crossed (tasks, points, longest streak) without the
    achievement. Phase milestones are checked by the completion itself (not derivable here)."""
    rows = _rows(
        "SELECT s.user_id, m.id AS milestone_id, m.code FROM accounts_creatorstats s "
        "JOIN milestones_milestone m ON m.is_active AND m.platform = '' AND ("
        " (m.kind = 'tasks_completed' AND s.tasks_completed >= m.threshold)"
        " OR (m.kind = 'points' AND s.points >= m.threshold)"
        " OR (m.kind = 'streak_days' AND s.longest_streak >= m.threshold)) "
        "LEFT JOIN milestones_milestoneachievement a ON a.user_id = s.user_id AND a.milestone_id = m.id "
        "WHERE a.id IS NULL"
    )
    return [Breach("crossed_threshold_has_achievement", {"user_id": r["user_id"], "milestone_id": r["milestone_id"]},
                   f"crossed {r['code']} without the achievement") for r in rows]


def missing_celebrations():
    rows = _rows(
        "SELECT a.user_id, a.id AS achievement_id FROM milestones_milestoneachievement a "
        "LEFT JOIN milestones_celebration c ON c.achievement_id = a.id WHERE c.id IS NULL"
    )
    return [Breach("achievement_has_celebration", {"user_id": r["user_id"], "achievement_id": r["achievement_id"]},
                   "achievement without its celebration") for r in rows]


def counters_over_limit(now=None):
    """Open counters above the limit of the plan in force, for creators whose plan did not
    change during the period (a downgrade legitimately keeps what was used)."""
    now = now or timezone.now()
    plan = (
        "CASE WHEN e.status IN (%s, %s) AND (e.current_period_end IS NULL OR e.current_period_end > %s) THEN e.plan_id "
        "WHEN e.status = %s AND e.current_period_end > %s THEN e.plan_id ELSE %s END"
    )
    plan_params = [EntitlementStatus.ACTIVE, EntitlementStatus.TRIALING, now, EntitlementStatus.PAST_DUE, now, PlanCode.FREE]
    limits, limit_params = [], []
    for feature, spec in FEATURES.items():
        for plan_code, limit in spec.limits.items():
            if limit is not None:
                limits.append(f"(c.feature = %s AND ({plan}) = %s AND c.used > %s)")
                limit_params += [feature, *plan_params, plan_code, limit]
    rows = _rows(
        f"SELECT c.id, c.user_id, c.feature, c.used FROM usage_usagecounter c "
        f"LEFT JOIN billing_entitlement e ON e.user_id = c.user_id "
        f"WHERE (c.resets_at IS NULL OR c.resets_at > %s) AND (e.id IS NULL OR e.updated_at < c.created_at) "
        f"AND ({' OR '.join(limits)})",
        [now, *limit_params],
    )
    return [Breach("counter_within_limit", {"user_id": r["user_id"], "counter_id": r["id"]},
                   f"{r['feature']} used {r['used']} above the plan's limit") for r in rows]


def paid_without_subscription():
    rows = _rows(
        "SELECT e.user_id, e.stripe_subscription_id FROM billing_entitlement e "
        "LEFT JOIN djstripe_subscription s ON s.id = e.stripe_subscription_id "
        "WHERE e.source = 'stripe' AND e.status IN (%s, %s, %s) AND s.id IS NULL",
        [EntitlementStatus.ACTIVE, EntitlementStatus.TRIALING, EntitlementStatus.PAST_DUE],
    )
    return [Breach("paid_entitlement_has_subscription", {"user_id": r["user_id"]},
                   f"paying through {r['stripe_subscription_id'] or '(none)'} which is not stored") for r in rows]


def payments_without_user():
    rows = _rows(
        "SELECT p.id FROM billing_payment p LEFT JOIN accounts_user u ON u.id = p.user_id WHERE u.id IS NULL"
    )
    return [Breach("payment_has_user", {"payment_id": r["id"]}, "payment of a missing user") for r in rows]


CHECKS = [stats_mismatches, missing_achievements, missing_celebrations, counters_over_limit,
          paid_without_subscription, payments_without_user]


def audit():
    """Every breach of every invariant."""
    return [breach for check in CHECKS for breach in check()]


@durable_service("tasks.creator_repair")
def creator_repair(*, user_id, milestone_ids=()):
    """Re-derive a creator's stats totals from their completions, and give them the achievements
    their stats earned (`milestone_ids`, from the audit) and every missing celebration.
    One transaction, under the stats lock."""
    stats = account_services.stats_lock(user_id=user_id)
    totals = TaskCompletion.objects.filter(user_id=user_id).aggregate(n=Count("id"), points=Sum("points"))
    account_services.stats_set_totals(locked_stats=stats, points=totals["points"] or 0, tasks_completed=totals["n"])
    milestone_services.achievements_grant(user_id=user_id, milestone_ids=milestone_ids)


def repair(breaches):
    """Repair what can be derived, creator by creator. Returns the creators repaired."""
    by_user = {}
    for breach in breaches:
        if breach.check in REPAIRABLE:
            milestones = by_user.setdefault(breach.ids["user_id"], [])
            if "milestone_id" in breach.ids:
                milestones.append(breach.ids["milestone_id"])
    for user_id, milestone_ids in by_user.items():
        creator_repair(user_id=user_id, milestone_ids=milestone_ids)
    return sorted(by_user)


REPAIRABLE = {"stats_equal_completions", "crossed_threshold_has_achievement", "achievement_has_celebration"}
