"""Milestone email (django-tasks job, sent once per achievement set)."""

from django.conf import settings
from django.urls import reverse

from core.email import email_job, send_once
from milestones.models import MilestoneAchievement


@email_job
def send_milestone_email(user_id, achievement_ids):
    achievements = list(
        MilestoneAchievement.objects.select_related("milestone", "user__profile")
        .filter(user_id=user_id, pk__in=achievement_ids, user__is_active=True)
        .order_by("milestone__kind", "milestone__threshold")
    )
    if not achievements:
        return "skipped"
    user = achievements[0].user
    context = {
        "user": user,
        "achievements": achievements,
        "milestones_url": f"{settings.SITE_URL}{reverse('milestones')}",
    }
    key = "milestone:" + ",".join(str(a.pk) for a in achievements)
    return send_once(key=key, template="milestone", context=context, to=user.email)
