"""Milestones' reads."""

import dataclasses
import datetime

from django.db.models import Prefetch, Q

from core.catalog import catalogue_cached
from core.rawsql import Select, Table
from milestones.models import KIND_ORDER, Celebration, Milestone, MilestoneAchievement


def milestones_by_id(*, version):
    """Every milestone by id, active or retired (a celebration may be of a retired one), read
    once per process and catalogue version (`version` from core.catalog.catalogue_version):
    shared by the process's requests, so read-only."""
    return catalogue_cached("milestones.by_id", version, lambda: {m.pk: m for m in Milestone.objects.all()})


@dataclasses.dataclass(frozen=True)
class PendingCelebration:
    """A celebration the creator has not seen yet, with the milestone it celebrates."""

    id: int
    created_at: datetime.datetime
    milestone: Milestone


def celebrations_pending(*, user, catalogue_version=None):
    """The creator's unseen celebrations, oldest first. One query; given `catalogue_version`
    (core.catalog) the milestones come from the process's copy of the catalogue and the query
    reads three columns instead of three joined rows per celebration."""
    if catalogue_version is None:
        pending = Celebration.objects.filter(user=user, seen_at__isnull=True).order_by("created_at", "id")
        return [
            PendingCelebration(c.id, c.created_at, c.achievement.milestone)
            for c in pending.select_related("achievement__milestone")
        ]
    # No queryset is built on this path: building the unused one cost every completion about as
    # much CPU as the hand-written read itself.
    milestones = milestones_by_id(version=catalogue_version)
    return [
        PendingCelebration(celebration_id, created_at, milestones[milestone_id])
        for celebration_id, created_at, milestone_id in _pending_rows(user_id=user.pk)
    ]


def _pending_select(alias):
    celebration, achievement = Table(Celebration, alias), Table(MilestoneAchievement, alias)
    sql = (
        f"SELECT {celebration.columns(('id', 'created_at'))}, {achievement.column('milestone')} "
        f"FROM {celebration.name} JOIN {achievement.name} ON {achievement.column('id')} = {celebration.column('achievement')} "
        f"WHERE {celebration.column('user')} = %s AND {celebration.column('seen_at')} IS NULL "
        f"ORDER BY {celebration.column('created_at')}, {celebration.column('id')}"
    )
    return sql, [(celebration, "id"), (celebration, "created_at"), (achievement, "milestone")]


# (id, created_at, milestone id) of the creator's unseen celebrations, oldest first: the query
# above with the milestone's id alone, in hand-written SQL (core.rawsql), as every completion and
# every dashboard reads it.
_PENDING = Select(Celebration, _pending_select)


def _pending_rows(*, user_id):
    return _PENDING.rows([user_id])


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
    """The shared achievement behind a public token, with what the public page shows; None
    when the creator's account is deactivated (their pages go down with it)."""
    return (
        MilestoneAchievement.objects.select_related("milestone", "user__profile", "user__stats")
        .filter(share_token=token, user__is_active=True)
        .first()
    )
