"""The replay of completions (ops.replay) in set-based SQL, for every creator at once: common
table expressions the audit's checks are built from (PostgreSQL, and SQLite ≥ 3.35: window
functions, MATERIALIZED). Each mirrors one rule of the hot path; the property test (ops/tests/
test_repair_property.py) holds them equal to the replay on random histories.
"""

from django.db import connection

from milestones.models import MilestoneKind
from ops.replay import START


def _next_day(date_sql):
    if connection.vendor == "sqlite":  # dates are ISO text there
        return f"date({date_sql}, '+1 day')"
    return f"({date_sql} + 1)"


def _later_week(a, b):
    """SQL: (a.phase, a.week) comes after (b.phase, b.week); a and b are (phase, week) pairs."""
    return f"({a[0]} > {b[0]} OR ({a[0]} = {b[0]} AND {a[1]} > {b[1]}))"


def steps():
    """`steps`: every completion with its task, in completion order (completed_at, id) per
    creator: its rank `rn`, whether it is the last, the points up to it, and the streak after
    it. The streak is accounts.services.streak_step replayed: the last active date only moves
    forward, so it is the latest local date before the completion; a later date `moved` the
    streak (+1 the next day, else a new run at 1: `restart`), any other left it; so the streak
    after a completion is the number of moves since the last restart. One sort: every window
    is the same, `w`."""
    window = "WINDOW w AS (PARTITION BY user_id ORDER BY completed_at, id ROWS UNBOUNDED PRECEDING)"
    return (
        "steps AS ("
        "SELECT user_id, rn, is_last, points, cum_points, local_date, completed_at, platform, phase, week, is_active, "
        "moved, moves - MAX(CASE WHEN restart = 1 THEN moves END) OVER w + 1 AS streak "
        "FROM (SELECT *, SUM(moved) OVER w AS moves FROM ("
        "SELECT *, CASE WHEN last_before IS NULL OR local_date > last_before THEN 1 ELSE 0 END AS moved, "
        f"CASE WHEN last_before IS NULL OR local_date > {_next_day('last_before')} THEN 1 ELSE 0 END AS restart "
        "FROM (SELECT *, LAG(latest) OVER w AS last_before FROM ("
        "SELECT *, ROW_NUMBER() OVER w AS rn, CASE WHEN LEAD(id) OVER w IS NULL THEN 1 ELSE 0 END AS is_last, "
        "SUM(points) OVER w AS cum_points, MAX(local_date) OVER w AS latest "
        "FROM (SELECT c.id, c.user_id, c.points, c.local_date, c.completed_at, t.platform, t.phase, t.week, t.is_active "
        f"FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id) j {window}) a {window}) b) c "
        f"{window}) d {window})"
    )


def derived_stats():
    """`derived`: the stats each creator's completions add up to (stats_after, replayed)."""
    return (
        "derived AS (SELECT user_id, SUM(points) AS points, COUNT(*) AS tasks_completed, "
        "MAX(streak) AS longest_streak, MAX(CASE WHEN is_last = 1 THEN streak END) AS current_streak, "
        "MAX(local_date) AS last_active_on FROM steps GROUP BY user_id)"
    )


def earned():
    """milestones.services.milestones_crossed, for every completion: `earned` holds (user_id,
    milestone_id) for each milestone, active or retired, that a creator's completions crossed
    (a pair may repeat: a streak can cross a mark twice, two platforms can finish a phase).
    The n-th completion crosses tasks threshold n; one crosses a points threshold between the
    points before and after it; a streak threshold when it moved the streak there, which a
    restart never does (from 1 or more to 1) except the first completion (from 0); a phase when
    its platform's phase has a completion and no active task left open (the completion of its
    last open task crossed it). A milestone counts for its platform's tasks, or every platform's."""
    platform_ok = "m.platform IN ('', {}.platform)"
    return (
        "phase_sizes AS (SELECT platform, phase, COUNT(*) AS n FROM tasks_roadmaptask WHERE is_active "
        "GROUP BY platform, phase), "
        # From the tables rather than `steps`: order plays no part, and the index on the user does the sorting.
        "phases_done AS ("
        "SELECT c.user_id, t.platform, t.phase FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id "
        "LEFT JOIN phase_sizes z ON z.platform = t.platform AND z.phase = t.phase "
        "GROUP BY c.user_id, t.platform, t.phase, z.n "
        "HAVING SUM(CASE WHEN t.is_active THEN 1 ELSE 0 END) = COALESCE(z.n, 0)), "
        "earned AS ("
        "SELECT s.user_id, m.id AS milestone_id FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.TASKS_COMPLETED.value}' AND m.threshold = s.rn AND {platform_ok.format('s')} "
        "UNION ALL SELECT s.user_id, m.id FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.POINTS.value}' AND s.cum_points - s.points < m.threshold "
        f"AND m.threshold <= s.cum_points AND {platform_ok.format('s')} "
        "UNION ALL SELECT s.user_id, m.id FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.STREAK_DAYS.value}' AND s.moved = 1 AND m.threshold = s.streak "
        f"AND (s.streak > 1 OR s.rn = 1) AND {platform_ok.format('s')} "
        "UNION ALL SELECT p.user_id, m.id FROM phases_done p JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.PHASE_COMPLETED.value}' AND m.threshold = p.phase AND {platform_ok.format('p')})"
    )


def positions():
    """tasks.services.completion.week_advance, replayed: `positions` holds, for each enrollment the hot path
    moved, the (phase, week) it moved it to last. After each completion the first open week of
    its platform is one past the run of weeks closed from the first (a week is closed by the
    completion of its last active task), or none when every week is; the enrollment moves there
    when it comes after the completed task's week and after the start, if the platform was
    followed by then. `segments`: the first open week is `ord` from the rank by which every
    week before it was closed (lo) to the one that closed it too (hi, exclusive; none: open).
    That week never goes back and the enrollment only moves forward: it ends at the furthest."""
    start = tuple(str(n) for n in START)
    after_start = _later_week(("w.phase", "w.week"), start)
    return (
        "weeks AS (SELECT platform, phase, week, COUNT(*) AS n, "
        "ROW_NUMBER() OVER (PARTITION BY platform ORDER BY phase, week) AS ord "
        "FROM tasks_roadmaptask WHERE is_active GROUP BY platform, phase, week), "
        "closed AS (SELECT s.user_id, s.platform, w.ord, MAX(s.rn) AS closed_rn FROM steps s "
        "JOIN weeks w ON w.platform = s.platform AND w.phase = s.phase AND w.week = s.week WHERE s.is_active "
        "GROUP BY s.user_id, s.platform, w.ord, w.n HAVING COUNT(*) = w.n), "
        "closed_run AS (SELECT user_id, platform, ord, closed_by FROM ("
        "SELECT user_id, platform, ord, ROW_NUMBER() OVER (PARTITION BY user_id, platform ORDER BY ord) AS seq, "
        "MAX(closed_rn) OVER (PARTITION BY user_id, platform ORDER BY ord ROWS UNBOUNDED PRECEDING) AS closed_by "
        "FROM closed) x WHERE seq = ord), "
        # Materialized: small, and it should drive the join with every completion.
        "segments AS MATERIALIZED (SELECT x.user_id, x.platform, x.ord, w.phase, w.week, x.lo, x.hi FROM ("
        "SELECT user_id, platform, ord + 1 AS ord, closed_by AS lo, "
        "LEAD(closed_by) OVER (PARTITION BY user_id, platform ORDER BY ord) AS hi FROM closed_run "
        # while the first week is open: matters only for a roadmap whose first week comes after the start
        "UNION ALL SELECT DISTINCT s.user_id, s.platform, 1, 0, r.closed_by FROM steps s "
        f"JOIN weeks w ON w.platform = s.platform AND w.ord = 1 AND {after_start} "
        "LEFT JOIN closed_run r ON r.user_id = s.user_id AND r.platform = s.platform AND r.ord = 1"
        f") x JOIN weeks w ON w.platform = x.platform AND w.ord = x.ord AND {after_start}), "
        "moved AS (SELECT g.user_id, g.platform, MAX(g.ord) AS ord FROM segments g "
        "JOIN steps s ON s.user_id = g.user_id AND s.platform = g.platform AND s.rn >= g.lo "
        f"AND (g.hi IS NULL OR s.rn < g.hi) AND {_later_week(('g.phase', 'g.week'), ('s.phase', 's.week'))} "
        "JOIN accounts_enrollment e ON e.user_id = g.user_id AND e.platform = g.platform "
        "AND s.completed_at >= e.created_at GROUP BY g.user_id, g.platform), "
        "positions AS (SELECT v.user_id, v.platform, w.phase, w.week FROM moved v "
        "JOIN weeks w ON w.platform = v.platform AND w.ord = v.ord)"
    )


def with_ctes(*ctes):
    return "WITH " + ", ".join(ctes) + " "
