"""A clean replay of a creator's completions: the derived state (stats, achievements, each
enrollment's phase and week) that the hot path, tasks.services.completion.task_complete, wrote
for them, computed in memory with the rules it applies itself (stats_after, milestones_crossed),
so the two cannot drift apart. audit_integrity --fix makes the stored state agree with it; the
audit's SQL (ops.audit_sql) derives the same from the tables.

The stats' current streak is the run ending on the last active date, as the hot path stores it;
the streak a creator reads on a later day (0 after a missed day) is derived from it on read by
accounts.streaks, so neither the replay nor --fix depends on the day they run.

Content has a history (docs/content-and-audit.md): each completion records what it did under
the catalogue of its moment (the week it moved its roadmap to, whether it finished its phase),
and the replay reads that record instead of judging old completions by today's catalogue. A
task added to a finished week moves no one back and takes no achievement away. Today's
catalogue adds only what it gives: a phase whose every active task the creator has done
(after a task was removed) counts as completed, dated by their last completion in it.
"""

import dataclasses
import datetime

from accounts.models import Enrollment
from accounts.services import StatsTally, stats_after
from milestones.services import milestones_crossed

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
    platform, phase), `points`, `local_date`, `completed_at` and its recorded effect
    (`moved_to_phase`, `moved_to_week`, `completed_phase`). `weeks`: platform -> {(phase, week):
    frozenset of active task ids} (RoadmapCatalogue.weeks), today's catalogue; `milestones`: every
    milestone, active or retired; `enrolled`: platform followed -> since when
    (Enrollment.created_at): a completion from before then, made under an enrollment the creator
    later left, counts but does not move this one. Pure: no query."""
    milestones = list(milestones)
    stats = StatsTally()
    done, last_in_phase = set(), {}
    positions = dict.fromkeys(enrolled, START)
    crossed_at = {}

    def cross(crossed, at):
        for milestone in crossed:
            # A streak can cross a mark twice: the first crossing made the achievement.
            crossed_at.setdefault(milestone.pk, (milestone, at))

    for completion in completions:
        task = completion.task
        before, stats = stats, stats_after(stats, points=completion.points, local_date=completion.local_date)
        done.add(task.pk)
        last_in_phase[task.platform, task.phase] = completion.completed_at
        since = enrolled.get(task.platform)
        if completion.moved_to_phase is not None and since is not None and completion.completed_at >= since:
            moved_to = (completion.moved_to_phase, completion.moved_to_week)
            positions[task.platform] = max(positions[task.platform], moved_to)  # forward only: enrollment_move_to
        phases = [task.phase] if completion.completed_phase else []
        cross(milestones_crossed(milestones, platform=task.platform, before=before, after=stats,
                                 phases_completed=phases), completion.completed_at)
    for (platform, phase), at in sorted(last_in_phase.items(), key=lambda item: item[1]):
        if phase_done_today(weeks=weeks.get(platform, {}), phase=phase, done=done):
            cross(milestones_crossed(milestones, platform=platform, before=stats, after=stats,
                                     phases_completed=[phase]), at)
    return Replay(
        stats=stats,
        achievements={pk: at for pk, (milestone, at) in crossed_at.items() if milestone.is_active},
        earned=frozenset(crossed_at),
        positions=positions,
    )


def phase_done_today(*, weeks, phase, done):
    """Whether every active task of `phase` (in today's catalogue `weeks`) is in `done`."""
    return all(task_ids <= done for (week_phase, _), task_ids in weeks.items() if week_phase == phase)
