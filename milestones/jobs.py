"""Milestone email (django-tasks job, sent once per achievement set)."""

from django.conf import settings
from django.urls import reverse

from accounts.catalog import EmailKind
from accounts.selectors import email_wanted
from accounts.unsubscribe import headers_for, unsubscribe_url
from core.email import email_job, send_once
from milestones.models import MilestoneAchievement


@email_job
def send_milestone_email(user_id, achievement_ids):
    # The preference is read now, when the email would leave, not when the job was queued: a
    # creator who unsubscribed in between gets nothing.
    if not email_wanted(user_id=user_id, kind=EmailKind.MILESTONES):
        return "unsubscribed"
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
        "settings_url": f"{settings.SITE_URL}{reverse('settings')}",
        "unsubscribe_url": unsubscribe_url(user_id=user_id, kind=EmailKind.MILESTONES),
    }
    key = "milestone:" + ",".join(str(a.pk) for a in achievements)
    return send_once(key=key, template="milestone", context=context, to=user.email,
                     headers=headers_for(user_id, EmailKind.MILESTONES))
