"""Milestones' writes: unlocking (inside the completion transaction), celebrations seen once,
share links created once."""

from django.db.models import Q
from django.utils import timezone

from core.catalog import retire_missing, upsert_by_key
from core.email import email_enqueue
from core.errors import NotFound
from core.transactions import durable_service
from milestones import jobs
from milestones.models import (
    Celebration,
    Milestone,
    MilestoneAchievement,
    MilestoneKind,
    share_token_new,
)
from milestones.selectors import milestones_by_id

# The stats counter each kind of milestone counts (phase_completed is decided by the caller).
_COUNTED = {
    MilestoneKind.TASKS_COMPLETED: "tasks_completed",
    MilestoneKind.STREAK_DAYS: "current_streak",
    MilestoneKind.POINTS: "points",
}


def _crossed(milestone, before, after, phases_completed):
    if milestone.kind == MilestoneKind.PHASE_COMPLETED:
        return milestone.threshold in phases_completed
    counter = _COUNTED.get(milestone.kind)
    return counter is not None and getattr(before, counter) < milestone.threshold <= getattr(after, counter)


def milestones_unlock(*, user, platform, before, after, phases_completed, milestone_emails, catalogue_version, now=None):
    """Give the creator every milestone whose threshold this change crossed (stats going from
    `before` to `after`, plus the phases it completed), each with a pending celebration; email
    them after commit if they opted in. Returns the new achievements. The milestones come from
    the process's copy of the catalogue at `catalogue_version`, so the usual path, where nothing
    is crossed, runs no query, and crossing any number of them runs three.

    Constraint-safe: the inserts ignore duplicates (unique user+milestone, one celebration per
    achievement), so a replay, or a streak that climbs past a mark a second time, adds nothing.
    Call inside a transaction while holding the stats lock."""
    now = now or timezone.now()
    crossed = {
        milestone.pk: milestone
        for milestone in milestones_by_id(version=catalogue_version).values()
        if milestone.is_active
        and milestone.platform in ("", platform)
        and _crossed(milestone, before, after, phases_completed)
    }
    if not crossed:
        return []
    MilestoneAchievement.objects.bulk_create(
        [MilestoneAchievement(user=user, milestone_id=mid, achieved_at=now) for mid in crossed],
        ignore_conflicts=True,
    )
    # Re-read for the ids (ignore_conflicts returns none); those achieved earlier are left out.
    achievements = list(MilestoneAchievement.objects.filter(user=user, milestone_id__in=crossed, achieved_at=now))
    if not achievements:
        return []
    for achievement in achievements:
        achievement.milestone = crossed[achievement.milestone_id]
    achievements.sort(key=lambda a: (a.milestone.kind, a.milestone.threshold))
    Celebration.objects.bulk_create([Celebration(achievement=a, user=user) for a in achievements], ignore_conflicts=True)
    if milestone_emails:
        email_enqueue(jobs.send_milestone_email, user.pk, [a.pk for a in achievements])
    return achievements


@durable_service("milestones.celebration_seen")
def celebration_seen(*, user, celebration_id):
    """Mark a celebration seen: one conditional UPDATE, so a repeat or a race is a no-op.
    Another creator's celebration is NotFound. Returns True if this call marked it."""
    marked = Celebration.objects.filter(pk=celebration_id, user=user, seen_at__isnull=True).update(
        seen_at=timezone.now()
    )
    if not marked and not Celebration.objects.filter(pk=celebration_id, user=user).exists():
        raise NotFound("No such celebration.")
    return bool(marked)


def _own_achievement(user, milestone_id):
    achievement = (
        MilestoneAchievement.objects.select_related("milestone").filter(milestone_id=milestone_id, user=user).first()
    )
    if achievement is None:
        raise NotFound("You have not achieved this milestone.")
    return achievement


@durable_service("milestones.achievement_share")
def achievement_share(*, user, milestone_id):
    """Give the creator's achievement of a milestone its public share token, once: every call
    returns the same token (the conditional UPDATE only fills an empty one)."""
    achievement = _own_achievement(user, milestone_id)
    MilestoneAchievement.objects.filter(pk=achievement.pk, share_token__isnull=True).update(
        share_token=share_token_new()
    )
    achievement.refresh_from_db(fields=["share_token"])
    return achievement


@durable_service("milestones.achievement_unshare")
def achievement_unshare(*, user, milestone_id):
    """Withdraw the public link: its token stops working for good."""
    achievement = _own_achievement(user, milestone_id)
    MilestoneAchievement.objects.filter(pk=achievement.pk).update(share_token=None)
    achievement.share_token = None
    return achievement


def milestones_load(*, rows, report):
    """Upsert the milestone catalogue; a milestone dropped from it is deleted unless someone
    achieved it (then it is deactivated). Call inside a transaction."""
    rows = [{"platform": "", **row, "is_active": True} for row in rows]
    kept = upsert_by_key(Milestone, "code", rows, report)
    retire_missing(Milestone.objects.all(), kept, "code", Q(achievements__isnull=False), report)


def achievements_grant(*, user_id, milestone_ids, now=None):
    """Repair (audit_integrity --fix): give a creator these milestones and a celebration for every
    achievement that lacks one. Constraint-safe, sends no email. Call inside a transaction."""
    now = now or timezone.now()
    MilestoneAchievement.objects.bulk_create(
        [MilestoneAchievement(user_id=user_id, milestone_id=m, achieved_at=now) for m in milestone_ids],
        ignore_conflicts=True,
    )
    without = MilestoneAchievement.objects.filter(user_id=user_id, celebration__isnull=True)
    Celebration.objects.bulk_create([Celebration(achievement=a, user_id=user_id) for a in without], ignore_conflicts=True)
