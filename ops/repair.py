"""audit_integrity --fix: make a creator's derived state equal to a clean replay of their
completions (ops.replay), never to anything derived from other columns that may have
drifted too."""

from accounts import services as account_services
from accounts.models import Enrollment
from core.catalog import catalogue_version
from core.transactions import durable_service
from milestones import services as milestone_services
from milestones.selectors import milestones_by_id
from ops.replay import creator_replay
from tasks.models import TaskCompletion
from tasks.selectors import roadmap_catalogue

# The breaches a creator's replay repairs; the others (counters, entitlements, payments) need a person.
REPAIRABLE = {
    "stats_equal_completions",
    "crossed_threshold_has_achievement",
    "achievement_earned_by_completions",
    "achievement_has_celebration",
    "enrollment_week_follows_completions",
}


def replay_of(*, user_id):
    """The replay of the creator's completions as stored, against the current catalogue. Three
    queries (completions with their tasks, enrollments, the catalogue version) when the
    process's copy of the catalogue is current."""
    version = catalogue_version()
    completions = TaskCompletion.objects.filter(user_id=user_id).select_related("task").order_by("completed_at", "id")
    return creator_replay(
        completions=completions,
        weeks=roadmap_catalogue(version=version).weeks,
        milestones=milestones_by_id(version=version).values(),
        enrolled=dict(Enrollment.objects.filter(user_id=user_id).values_list("platform", "created_at")),
    )


@durable_service("ops.creator_repair")
def creator_repair(*, user_id):
    """Make the creator's derived state what a clean replay of their completions says: every
    stats column, the achievements (missing ones given with a celebration, unearned ones
    deleted with theirs, a celebration for any achievement without one) and each enrollment's
    phase and week. One transaction, under the stats lock taken first, so no completion can
    commit between the replay and the writes. Returns the replay."""
    locked = account_services.stats_lock(user_id=user_id)
    replay = replay_of(user_id=user_id)
    account_services.stats_set(locked_stats=locked, tally=replay.stats)
    milestone_services.achievements_match(user_id=user_id, granted=replay.achievements, earned=replay.earned)
    for platform, (phase, week) in replay.positions.items():
        account_services.enrollment_place(user_id=user_id, platform=platform, phase=phase, week=week)
    return replay


def repair(breaches):
    """Re-derive every creator a repairable breach names, one transaction each. Returns their ids."""
    user_ids = sorted({breach.ids["user_id"] for breach in breaches if breach.check in REPAIRABLE})
    for user_id in user_ids:
        creator_repair(user_id=user_id)
    return user_ids
