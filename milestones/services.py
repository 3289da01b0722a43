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


def milestone_crossed(milestone, *, before, after, phases_completed):
    """Whether a completion that took the stats from `before` to `after` (CreatorStats or
    accounts.services.StatsTally) and completed `phases_completed` crossed the milestone's
    threshold, whatever its platform. Pure."""
    if milestone.kind == MilestoneKind.PHASE_COMPLETED:
        return milestone.threshold in phases_completed
    counter = _COUNTED.get(milestone.kind)
    return counter is not None and getattr(before, counter) < milestone.threshold <= getattr(after, counter)


def milestones_crossed(milestones, *, platform, before, after, phases_completed):
    """The milestones, of `milestones` (active or retired), that a completion of a task on
    `platform` crossed: those for every platform ('') or for that one (milestone_crossed). Pure:
    the hot path (milestones_unlock) and the replay of completions (ops.replay) share it."""
    return [
        milestone
        for milestone in milestones
        if milestone.platform in ("", platform)
        and milestone_crossed(milestone, before=before, after=after, phases_completed=phases_completed)
    ]


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
        for milestone in milestones_crossed(
            milestones_by_id(version=catalogue_version).values(),
            platform=platform,
            before=before,
            after=after,
            phases_completed=phases_completed,
        )
        if milestone.is_active
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


def achievements_match(*, user_id, granted, earned):
    """Repair (audit_integrity --fix): make the creator's achievements what their completions
    earned. `granted` ({milestone id: achieved_at}): the active milestones the completions
    crossed, each given if missing, dated by the completion that crossed it; `earned`: every
    milestone the completions crossed, active or retired: an achievement of any other is deleted
    with its celebration (one of a retired milestone they earned is history, and stays). Every
    achievement left gets a celebration if it lacks one (pending: the creator sees it).
    Constraint-safe, sends no email. Call inside a transaction while holding the stats lock."""
    MilestoneAchievement.objects.filter(user_id=user_id).exclude(milestone_id__in=earned).delete()
    MilestoneAchievement.objects.bulk_create(
        [MilestoneAchievement(user_id=user_id, milestone_id=m, achieved_at=at) for m, at in granted.items()],
        ignore_conflicts=True,
    )
    without = MilestoneAchievement.objects.filter(user_id=user_id, celebration__isnull=True)
    Celebration.objects.bulk_create([Celebration(achievement=a, user_id=user_id) for a in without], ignore_conflicts=True)


def creator_milestones_erase(*, user_id):
    """Delete a creator's celebrations and achievements (their account is being deleted): their
    share links answer 404 from then on. Call inside the deletion's transaction."""
    Celebration.objects.filter(user_id=user_id).delete()
    MilestoneAchievement.objects.filter(user_id=user_id).delete()
