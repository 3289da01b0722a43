"""A clean replay of a creator's completions: the derived state (stats, achievements, each
enrollment's phase and week) that the hot path, tasks.services.completion.task_complete, would have
written for them, computed in memory with the rules it applies itself (stats_after,
milestones_crossed, week_advance), so the two cannot drift apart. audit_integrity --fix makes
the stored state equal to it; the audit's SQL (ops.audit_sql) derives the same from the tables.

The stats' current streak is the run ending on the last active date, as the hot path stores it;
the streak a creator reads on a later day (0 after a missed day) is derived from it on read by
accounts.streaks, so neither the replay nor --fix depends on the day they run.

The replay starts from what signup writes (zero stats, enrollments at the first week) and reads
the catalogue as it is now: after a content change that adds a task to a week or a phase a
creator had finished, the replay (and so the audit) puts them back in that week, without that
phase's achievement, until they complete the new task.
"""

import dataclasses
import datetime

from accounts.models import Enrollment
from accounts.services import StatsTally, stats_after
from milestones.services import milestones_crossed
from tasks.services.completion import week_advance

# Where an enrollment starts (the model's defaults): the hot path only ever moves it forward.
START = (Enrollment._meta.get_field("current_phase").default, Enrollment._meta.get_field("current_week").default)


@dataclasses.dataclass(frozen=True)
class Replay:
    stats: StatsTally
    achievements: dict[int, datetime.datetime]  # active milestone id -> when the completion crossed it
    earned: frozenset[int]  # every milestone the completions crossed, active or retired
    positions: dict[str, tuple[int, int]]  # platform followed -> (phase, week)


def creator_replay(*, completions, weeks, milestones, enrolled):
    """Replay `completions` in completion order (completed_at, id); each has `task` (with pk,
    platform, phase, week), `points`, `local_date` and `completed_at`. `weeks`: platform ->
    {(phase, week): frozenset of active task ids} in roadmap order (RoadmapCatalogue.weeks);
    `milestones`: every milestone, active or retired; `enrolled`: platform followed -> since when
    (Enrollment.created_at): a completion from before then, made under an enrollment the creator
    later left, counts but does not move this one. Pure: no query."""
    milestones = list(milestones)
    stats = StatsTally()
    done = set()
    positions = dict.fromkeys(enrolled, START)
    crossed_at = {}
    for completion in completions:
        task = completion.task
        before, stats = stats, stats_after(stats, points=completion.points, local_date=completion.local_date)
        done.add(task.pk)
        move_to, phase_completed = week_advance(weeks=weeks.get(task.platform, {}), done=done, week=(task.phase, task.week))
        since = enrolled.get(task.platform)
        if move_to is not None and since is not None and completion.completed_at >= since:
            positions[task.platform] = max(positions[task.platform], move_to)  # forward only: enrollment_move_to
        for milestone in milestones_crossed(
            milestones,
            platform=task.platform,
            before=before,
            after=stats,
            phases_completed=[task.phase] if phase_completed else [],
        ):
            # A streak can cross a mark twice: the first crossing made the achievement.
            crossed_at.setdefault(milestone.pk, (milestone, completion.completed_at))
    return Replay(
        stats=stats,
        achievements={pk: at for pk, (milestone, at) in crossed_at.items() if milestone.is_active},
        earned=frozenset(crossed_at),
        positions=positions,
    )
