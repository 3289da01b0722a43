"""audit_integrity --fix: make a creator's derived state agree with a clean replay of their
completions (ops.replay), never with anything derived from other columns that may have drifted
too, and recount what counts rows. Facts are never revoked (DESIGN.md §12, docs/content-and-
audit.md): no achievement or celebration is deleted, no enrollment moved back; what the facts
cannot decide is named for a person (FOR_A_PERSON)."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts import services as account_services
from accounts.models import Enrollment
from core.catalog import catalogue_version
from core.transactions import durable_service
from milestones import services as milestone_services
from milestones.selectors import milestones_by_id
from ops.replay import creator_replay
from tasks.models import ContentIdea, TaskCompletion
from tasks.selectors import roadmap_catalogue
from tasks.services.completion import completions_points_match
from usage import services as usage_services
from usage.models import Feature

# The breaches a creator's repair (creator_repair) makes hold.
REPAIRABLE = {
    "stats_equal_completions",
    "crossed_threshold_has_achievement",
    "achievement_has_celebration",
    "enrollment_week_follows_completions",
    "points_follow_quality",
    "account_has_stats",
    "platforms_counter_equals_enrollments",
    "ideas_counter_covers_ideas_saved",
}
# The others, and what a person decides for each.
FOR_A_PERSON = {
    "achievement_earned_by_completions": "an achievement is never revoked by a repair: check who wrote it",
    "enrollment_week_ahead_of_completions": "a roadmap is never moved back by a repair: check who moved it",
    "counter_within_limit": "refund or accept the units used above the plan's limit",
    "counter_periods_do_not_overlap": "close one of the two periods",
    "paid_entitlement_has_subscription": "sync the subscription from Stripe, or end the entitlement",
    "payment_has_user": "find whose payment it is",
    "account_has_profile": "create the profile (platform, time zone) with the creator",
    "account_follows_its_platform": "enroll the creator in their profile's platform again",
    "ideas_saved_in_a_counted_period": "open the ideas counter of that day, or accept the ideas as uncounted",
    "entitlement_follows_its_subscription": "sync the subscription from Stripe and apply it",
    "paying_subscription_grants_its_plan": "sync the subscription from Stripe and apply it",
}


def for_a_person(breach):
    """What a person decides about `breach`, or "" when --fix repairs it."""
    if breach.check == "platforms_counter_equals_enrollments" and breach.ids.get("counter_id") is None:
        return "open the platforms counter: there is no row to recount"
    return FOR_A_PERSON.get(breach.check, "")


def replay_of(*, user_id):
    """The replay of the creator's completions as stored, with today's catalogue. Three queries
    (completions with their tasks, enrollments, the catalogue version) when the process's copy
    of the catalogue is current."""
    version = catalogue_version()
    completions = TaskCompletion.objects.filter(user_id=user_id).select_related("task").order_by("completed_at", "id")
    return creator_replay(
        completions=completions,
        weeks=roadmap_catalogue(version=version).weeks,
        milestones=milestones_by_id(version=version).values(),
        enrolled=dict(Enrollment.objects.filter(user_id=user_id).values_list("platform", "created_at")),
    )


def _enrollments_counted():
    return Coalesce(Subquery(Enrollment.objects.filter(user_id=OuterRef("user_id")).order_by().values("user_id")
                             .annotate(n=Count("pk")).values("n")), 0)


def _ideas_in_period_counted():
    ideas = ContentIdea.objects.filter(user_id=OuterRef("user_id"), created_at__gte=OuterRef("starts_at"),
                                       created_at__lt=OuterRef("resets_at"))
    return Coalesce(Subquery(ideas.order_by().values("user_id").annotate(n=Count("pk")).values("n")), 0)


@durable_service("ops.creator_repair")
def creator_repair(*, user_id):
    """Make the creator's derived state what a clean replay of their completions says, forward
    only: the stats row (created if missing), every completion's points from its quality, every
    stats column, the achievements their completions earned and they lack (with a celebration,
    no email), a celebration for any achievement without one, each enrollment moved forward to
    where the completions took it; the platforms counter to the enrollments and each ideas
    counter up to the ideas saved in its period. One transaction, under the stats lock taken
    first, so no completion can commit between the replay and the writes. Returns the replay."""
    account_services.stats_ensure(user_id=user_id)
    locked = account_services.stats_lock(user_id=user_id)
    completions_points_match(user_id=user_id)
    replay = replay_of(user_id=user_id)
    account_services.stats_set(locked_stats=locked, tally=replay.stats)
    milestone_services.achievements_grant(user_id=user_id, granted=replay.achievements)
    for platform, (phase, week) in replay.positions.items():
        account_services.enrollment_move_to(user=user_id, platform=platform, phase=phase, week=week)
    usage_services.usage_counters_recount(user_id=user_id, feature=Feature.PLATFORMS, counted=_enrollments_counted())
    usage_services.usage_counters_recount(user_id=user_id, feature=Feature.IDEAS, counted=_ideas_in_period_counted(),
                                          raise_only=True)
    return replay


def repair(breaches):
    """Re-derive every creator a repairable breach names, one transaction each. Returns their ids."""
    user_ids = sorted({breach.ids["user_id"] for breach in breaches if breach.check in REPAIRABLE})
    for user_id in user_ids:
        creator_repair(user_id=user_id)
    return user_ids
