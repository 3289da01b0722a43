"""Milestones' reads."""

from django.db.models import Prefetch, Q

from core.catalog import catalogue_cached
from milestones.models import KIND_ORDER, Celebration, Milestone, MilestoneAchievement


def milestones_active(*, version):
    """Every active milestone, read once per process and catalogue version (`version` from
    core.catalog.catalogue_version): shared by the process's requests, so read-only."""
    return catalogue_cached("milestones.active", version, lambda: list(Milestone.objects.filter(is_active=True)))


def celebrations_pending(*, user):
    return list(
        Celebration.objects.select_related("achievement__milestone")
        .filter(user=user, seen_at__isnull=True)
        .order_by("created_at", "id")
    )


def milestones_for(*, user, platform):
    """Every active milestone for the platform (and all-platform ones), each with `.achievement`
    (the creator's, or None). Two queries."""
    milestones = list(
        Milestone.objects.filter(Q(platform="") | Q(platform=platform), is_active=True)
        .prefetch_related(
            Prefetch("achievements", queryset=MilestoneAchievement.objects.filter(user=user), to_attr="mine")
        )
    )
    for milestone in milestones:
        milestone.achievement = milestone.mine[0] if milestone.mine else None
    milestones.sort(key=lambda m: (KIND_ORDER.index(m.kind), m.threshold))
    return milestones


def achievement_shared(*, token):
    """The shared achievement behind a public token, with what the public page shows."""
    return (
        MilestoneAchievement.objects.select_related("milestone", "user__profile")
        .filter(share_token=token)
        .first()
    )
