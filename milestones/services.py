"""Milestones' writes: unlocking (inside the completion transaction), celebrations seen once,
share links created once."""

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from core.catalog import retire_missing, upsert_by_key
from core.email import email_enqueue
from core.errors import InvalidInput, NotFound
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
    _refuse_new_terms_for_achieved(rows)
    kept = upsert_by_key(Milestone, "code", rows, report)
    retire_missing(Milestone.objects.all(), kept, "code", Q(achievements__isnull=False), report)


# What a creator achieved: an achievement is a fact about these, so they never change once it exists.
MILESTONE_TERMS = ("kind", "threshold", "platform")


def _refuse_new_terms_for_achieved(rows):
    """InvalidInput if a row changes the terms of a milestone someone achieved: their achievement
    (and its share page) says what they did, and the audit judges it by them. Retire the code
    (leave it out of the content) and add the new terms under a new one."""
    by_code = {row["code"]: row for row in rows}
    achieved = Milestone.objects.filter(code__in=by_code, achievements__isnull=False).distinct()
    changed = sorted(m.code for m in achieved if any(getattr(m, f) != by_code[m.code][f] for f in MILESTONE_TERMS))
    if changed:
        raise InvalidInput(
            f"Milestones {', '.join(changed)} were achieved under their kind, threshold and platform, which "
            "cannot change now: retire the code and publish the new terms under a new one."
        )


def achievements_grant(*, user_id, granted):
    """Repair (audit_integrity --fix): give the creator each active milestone their completions
    earned and they lack (`granted`: {milestone id: achieved_at, the completion that crossed
    it}), with a pending celebration, and a celebration to any achievement without one. Never
    deletes: an achievement is a fact (docs/content-and-audit.md); one the completions do not
    explain is for a person to look at. Constraint-safe (unique per creator and milestone, one
    celebration per achievement), sends no email. Call inside a transaction while holding the
    stats lock."""
    MilestoneAchievement.objects.bulk_create(
        [MilestoneAchievement(user_id=user_id, milestone_id=m, achieved_at=at) for m, at in granted.items()],
        ignore_conflicts=True,
    )
    without = MilestoneAchievement.objects.filter(user_id=user_id, celebration__isnull=True)
    Celebration.objects.bulk_create([Celebration(achievement=a, user_id=user_id) for a in without], ignore_conflicts=True)


def achievements_grant_crossed(*, crossed_sql):
    """Grant, set-based, the achievements `crossed_sql` names (a SELECT of user_id, milestone_id,
    achieved_at; one row per pair) to the creators who lack them, each with a pending celebration
    and no email (ops.grants, after a catalogue change). INSERT … ON CONFLICT DO NOTHING: a
    creator who got it meanwhile through the hot path keeps theirs, and no one is celebrated
    twice. Returns how many were granted. Call inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MilestoneAchievement._meta.db_table} (user_id, milestone_id, achieved_at) "
            f"SELECT g.user_id, g.milestone_id, g.achieved_at FROM ({crossed_sql}) g WHERE TRUE "
            "ON CONFLICT (user_id, milestone_id) DO NOTHING RETURNING id, user_id"
        )
        granted = cursor.fetchall()
    Celebration.objects.bulk_create([Celebration(achievement_id=a, user_id=u) for a, u in granted],
                                    batch_size=5000, ignore_conflicts=True)
    return len(granted)


def creator_milestones_erase(*, user_id):
    """Delete a creator's celebrations and achievements (their account is being deleted): their
    share links answer 404 from then on. Call inside the deletion's transaction."""
    Celebration.objects.filter(user_id=user_id).delete()
    MilestoneAchievement.objects.filter(user_id=user_id).delete()
