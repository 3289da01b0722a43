"""The replay of completions (ops.replay) in set-based SQL, for every creator at once: common
table expressions the audit's checks are built from (PostgreSQL, and SQLite ≥ 3.35: window
functions, MATERIALIZED). Each mirrors one rule of the hot path; the property test (ops/tests/
test_repair_property.py) holds them equal to the replay on random histories.
"""

from django.db import connection

from milestones.models import MilestoneKind


def _next_day(date_sql):
    if connection.vendor == "sqlite":  # dates are ISO text there
        return f"date({date_sql}, '+1 day')"
    return f"({date_sql} + 1)"


def _of_users(users, column):
    """SQL: ` WHERE column BETWEEN first AND last` for `users` (first, last), the ids of a batch of
    creators; nothing for None (every creator)."""
    if users is None:
        return ""
    first, last = users
    return f" WHERE {column} BETWEEN {int(first)} AND {int(last)}"


def steps(users=None):
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
        "SELECT user_id, rn, is_last, points, cum_points, local_date, completed_at, platform, phase, completed_phase, "
        "moved, moves - MAX(CASE WHEN restart = 1 THEN moves END) OVER w + 1 AS streak "
        "FROM (SELECT *, SUM(moved) OVER w AS moves FROM ("
        "SELECT *, CASE WHEN last_before IS NULL OR local_date > last_before THEN 1 ELSE 0 END AS moved, "
        f"CASE WHEN last_before IS NULL OR local_date > {_next_day('last_before')} THEN 1 ELSE 0 END AS restart "
        "FROM (SELECT *, LAG(latest) OVER w AS last_before FROM ("
        "SELECT *, ROW_NUMBER() OVER w AS rn, CASE WHEN LEAD(id) OVER w IS NULL THEN 1 ELSE 0 END AS is_last, "
        "SUM(points) OVER w AS cum_points, MAX(local_date) OVER w AS latest "
        "FROM (SELECT c.id, c.user_id, c.points, c.local_date, c.completed_at, c.completed_phase, t.platform, t.phase "
        f"FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id{_of_users(users, 'c.user_id')}) j "
        f"{window}) a {window}) b) c "
        f"{window}) d {window})"
    )


def derived_stats():
    """`derived`: the stats each creator's completions add up to (stats_after, replayed)."""
    return (
        "derived AS (SELECT user_id, SUM(points) AS points, COUNT(*) AS tasks_completed, "
        "MAX(streak) AS longest_streak, MAX(CASE WHEN is_last = 1 THEN streak END) AS current_streak, "
        "MAX(local_date) AS last_active_on FROM steps GROUP BY user_id)"
    )


def earned(users=None):
    """milestones.services.milestones_crossed, for every completion (ops.replay): `earned` holds
    (user_id, milestone_id, at) for each milestone, active or retired, that a creator's
    completions crossed, `at` the completion that crossed it (a pair may repeat: a streak can
    cross a mark twice, two platforms can finish a phase). The n-th completion crosses tasks
    threshold n; one crosses a points threshold between the points before and after it; a streak
    threshold when it moved the streak there, which a restart never does (from 1 or more to 1)
    except the first completion (from 0); a phase when the completion recorded finishing it under
    the catalogue of its moment, or when today's catalogue has no active task of it left open
    (`phases_done`, dated by the last completion in it). A milestone counts for its platform's
    tasks, or every platform's."""
    platform_ok = "m.platform IN ('', {}.platform)"
    return (
        "phase_sizes AS (SELECT platform, phase, COUNT(*) AS n FROM tasks_roadmaptask WHERE is_active "
        "GROUP BY platform, phase), "
        # From the tables rather than `steps`: order plays no part, and the index on the user does the sorting.
        "phases_done AS ("
        "SELECT c.user_id, t.platform, t.phase, MAX(c.completed_at) AS at "
        "FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id "
        "LEFT JOIN phase_sizes z ON z.platform = t.platform AND z.phase = t.phase"
        f"{_of_users(users, 'c.user_id')} GROUP BY c.user_id, t.platform, t.phase, z.n "
        "HAVING SUM(CASE WHEN t.is_active THEN 1 ELSE 0 END) = COALESCE(z.n, 0)), "
        "earned AS ("
        "SELECT s.user_id, m.id AS milestone_id, s.completed_at AS at FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.TASKS_COMPLETED.value}' AND m.threshold = s.rn AND {platform_ok.format('s')} "
        "UNION ALL SELECT s.user_id, m.id, s.completed_at FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.POINTS.value}' AND s.cum_points - s.points < m.threshold "
        f"AND m.threshold <= s.cum_points AND {platform_ok.format('s')} "
        "UNION ALL SELECT s.user_id, m.id, s.completed_at FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.STREAK_DAYS.value}' AND s.moved = 1 AND m.threshold = s.streak "
        f"AND (s.streak > 1 OR s.rn = 1) AND {platform_ok.format('s')} "
        "UNION ALL SELECT s.user_id, m.id, s.completed_at FROM steps s JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.PHASE_COMPLETED.value}' AND s.completed_phase AND m.threshold = s.phase "
        f"AND {platform_ok.format('s')} "
        "UNION ALL SELECT p.user_id, m.id, p.at FROM phases_done p JOIN milestones_milestone m "
        f"ON m.kind = '{MilestoneKind.PHASE_COMPLETED.value}' AND m.threshold = p.phase AND {platform_ok.format('p')})"
    )


# (phase, week) as one number that orders like the pair: a phase has at most 4 weeks (tasks.models).
WEEK_KEY = 100


def positions():
    """The replay's positions (ops.replay): `positions` holds, for each enrollment a completion
    moved, the furthest (phase, week) a completion made since the enrollment began recorded
    moving it to (tasks.services.completion.week_advance under the catalogue of its moment);
    the hot path only moves an enrollment forward."""
    return (
        # no `%`: psycopg reads it as a placeholder
        f"positions AS (SELECT user_id, platform, furthest / {WEEK_KEY} AS phase, "
        f"furthest - furthest / {WEEK_KEY} * {WEEK_KEY} AS week FROM ("
        f"SELECT c.user_id, t.platform, MAX(c.moved_to_phase * {WEEK_KEY} + c.moved_to_week) AS furthest "
        "FROM tasks_taskcompletion c JOIN tasks_roadmaptask t ON t.id = c.task_id "
        "JOIN accounts_enrollment e ON e.user_id = c.user_id AND e.platform = t.platform "
        "AND c.completed_at >= e.created_at WHERE c.moved_to_phase IS NOT NULL GROUP BY c.user_id, t.platform) f)"
    )


def with_ctes(*ctes):
    return "WITH " + ", ".join(ctes) + " "
