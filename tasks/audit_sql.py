"""The replay of completions (tasks.replay) in set-based SQL, for every creator at once: common
table expressions the audit's checks are built from (PostgreSQL and SQLite ≥ 3.25: window
functions). Each mirrors one rule of the hot path; the property test (tasks/tests/
test_repair_property.py) holds them equal to the replay on random histories.
"""

from django.db import connection

from milestones.models import MilestoneKind
from tasks.replay import START


def _next_day(date_sql):
    if connection.vendor == "sqlite":  # dates are ISO text there
        return f"date({date_sql}, '+1 day')"
    return f"({date_sql} + 1)"


def _later_week(a, b):
    """SQL: (a.phase, a.week) comes after (b.phase, b.week); a and b are (phase, week) pairs."""
    return f"({a[0]} > {b[0]} OR ({a[0]} = {b[0]} AND {a[1]} > {b[1]}))"


def ranked():
    """Every completion with its task, numbered in completion order (completed_at, id), with
    the points up to it and the latest local date before it."""
    order = "PARTITION BY c.user_id ORDER BY c.completed_at, c.id"
    return (
        "ranked AS ("
        "SELECT c.user_id, c.points, c.local_date, c.completed_at, t.platform, t.phase, t.week, t.is_active, "
        f"ROW_NUMBER() OVER ({order}) AS rn, "
        f"SUM(c.points) OVER ({order} ROWS UNBOUNDED PRECEDING) AS cum_points, "
        f"MAX(c.local_date) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_before "
        "FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id)"
    )


def streaks():
    """accounts.services.streak_step: the last active date only moves forward, so it is the
    latest local date before a completion; a completion on a later date moves the streak (+1 on
    the next day, else a new run at 1), any other leaves it. `streaks`: the streak after each
    completion that moved it (user_id, rn, streak)."""
    return (
        "days AS ("
        "SELECT user_id, rn, "
        f"CASE WHEN last_before IS NULL OR local_date > {_next_day('last_before')} THEN 1 ELSE 0 END AS restart "
        "FROM ranked WHERE last_before IS NULL OR local_date > last_before), "
        "runs AS (SELECT user_id, rn, SUM(restart) OVER (PARTITION BY user_id ORDER BY rn ROWS UNBOUNDED PRECEDING) AS run "
        "FROM days), "
        "streaks AS (SELECT user_id, rn, ROW_NUMBER() OVER (PARTITION BY user_id, run ORDER BY rn) AS streak FROM runs)"
    )


def derived_stats():
    """`derived`: the stats each creator's completions add up to (stats_after, replayed)."""
    return (
        "derived AS ("
        "SELECT r.user_id, SUM(r.points) AS points, COUNT(*) AS tasks_completed, "
        "MAX(k.streak) AS longest_streak, MAX(CASE WHEN k.back = 1 THEN k.streak END) AS current_streak, "
        "MAX(r.local_date) AS last_active_on "
        "FROM ranked r LEFT JOIN (SELECT user_id, rn, streak, "
        "ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY rn DESC) AS back FROM streaks) k "
        "ON k.user_id = r.user_id AND k.rn = r.rn GROUP BY r.user_id)"
    )


def earned():
    """milestones.services.milestones_crossed, for every completion: `earned` holds (user_id,
    milestone_id) for each milestone, active or retired, that a creator's completions crossed.
    The n-th completion crosses tasks threshold n; one crosses a points threshold between the
    points before and after it; a streak threshold when it takes the streak there, which a new
    run never does (from 1 or more to 1) except the first completion (from 0); a phase when its
    platform's phase has a completion and no active task left open (the completion of its last
    open task crossed it). A milestone counts for its platform's tasks, or every platform's."""
    platform_ok = "m.platform IN ('', {}.platform)"
    return (
        "phase_sizes AS (SELECT platform, phase, COUNT(*) AS n FROM tasks_roadmaptask WHERE is_active "
        "GROUP BY platform, phase), "
        "phases_done AS ("
        "SELECT r.user_id, r.platform, r.phase FROM ranked r "
        "LEFT JOIN phase_sizes z ON z.platform = r.platform AND z.phase = r.phase "
        "GROUP BY r.user_id, r.platform, r.phase, z.n "
        "HAVING SUM(CASE WHEN r.is_active THEN 1 ELSE 0 END) = COALESCE(z.n, 0)), "
        "earned AS ("
        "SELECT r.user_id, m.id AS milestone_id FROM ranked r JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.TASKS_COMPLETED.value}' AND m.threshold = r.rn AND {platform_ok.format('r')} "
        "UNION SELECT r.user_id, m.id FROM ranked r JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.POINTS.value}' AND r.cum_points - r.points < m.threshold "
        f"AND m.threshold <= r.cum_points AND {platform_ok.format('r')} "
        "UNION SELECT r.user_id, m.id FROM ranked r JOIN streaks k ON k.user_id = r.user_id AND k.rn = r.rn "
        f"JOIN milestones_milestone m ON m.kind = '{MilestoneKind.STREAK_DAYS.value}' AND m.threshold = k.streak "
        f"AND (k.streak > 1 OR r.rn = 1) AND {platform_ok.format('r')} "
        "UNION SELECT p.user_id, m.id FROM phases_done p JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.PHASE_COMPLETED.value}' AND m.threshold = p.phase AND {platform_ok.format('p')})"
    )


def positions():
    """tasks.services.week_advance, replayed: `positions` holds, for each enrollment that the
    hot path moved, the (phase, week) it moved it to last. After each completion the first
    open week of its platform is one past the leading run of closed weeks (a week is closed by
    the completion of its last active task); the enrollment moves there when that week comes
    after the completed task's week (and after the start), if it was followed by then; it only
    moves forward, and that first open week never goes back, so the last move is the furthest."""
    start = tuple(str(n) for n in START)
    return (
        "weeks AS (SELECT platform, phase, week, COUNT(*) AS n, "
        "ROW_NUMBER() OVER (PARTITION BY platform ORDER BY phase, week) AS ord "
        "FROM tasks_roadmaptask WHERE is_active GROUP BY platform, phase, week), "
        "closed AS (SELECT r.user_id, r.platform, w.ord, MAX(r.rn) AS closed_rn FROM ranked r "
        "JOIN weeks w ON w.platform = r.platform AND w.phase = r.phase AND w.week = r.week WHERE r.is_active "
        "GROUP BY r.user_id, r.platform, w.ord, w.n HAVING COUNT(*) = w.n), "
        "closed_run AS (SELECT user_id, platform, ord, closed_by FROM ("
        "SELECT user_id, platform, ord, ROW_NUMBER() OVER (PARTITION BY user_id, platform ORDER BY ord) AS seq, "
        "MAX(closed_rn) OVER (PARTITION BY user_id, platform ORDER BY ord ROWS UNBOUNDED PRECEDING) AS closed_by "
        "FROM closed) x WHERE seq = ord), "
        "first_open AS (SELECT r.user_id, r.platform, r.phase, r.week, r.completed_at, 1 + COUNT(l.ord) AS ord "
        "FROM ranked r LEFT JOIN closed_run l ON l.user_id = r.user_id AND l.platform = r.platform AND l.closed_by <= r.rn "
        "GROUP BY r.user_id, r.platform, r.rn, r.phase, r.week, r.completed_at), "
        "moved AS (SELECT f.user_id, f.platform, MAX(f.ord) AS ord FROM first_open f "
        "JOIN weeks w ON w.platform = f.platform AND w.ord = f.ord "
        "JOIN accounts_enrollment e ON e.user_id = f.user_id AND e.platform = f.platform AND f.completed_at >= e.created_at "
        f"WHERE {_later_week(('w.phase', 'w.week'), ('f.phase', 'f.week'))} AND {_later_week(('w.phase', 'w.week'), start)} "
        "GROUP BY f.user_id, f.platform), "
        "positions AS (SELECT v.user_id, v.platform, w.phase, w.week FROM moved v "
        "JOIN weeks w ON w.platform = v.platform AND w.ord = v.ord)"
    )


def with_(*ctes):
    return "WITH " + ", ".join(ctes) + " "
