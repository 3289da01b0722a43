"""Milestones' pages: the creator's milestones with share/unshare, the public share page,
and marking a celebration seen (htmx)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import creator_required
from accounts.streaks import stats_seen
from core.htmx import is_htmx
from core.page_errors import page_errors
from milestones import selectors, services
from milestones.api import share_url


@creator_required
def milestones(request):
    items = selectors.milestones_for(user=request.creator, platform=request.creator.profile.platform)
    for item in items:
        item.share_url = share_url(item.achievement)
    achieved = [m for m in items if m.achievement]
    return render(request, "milestones/milestones.html", {"milestones": items, "achieved_count": len(achieved)})


def _share_card(request, milestone_id, service):
    achievement = service(user=request.user, milestone_id=milestone_id)
    if not is_htmx(request):
        return redirect("milestones")
    milestone = achievement.milestone
    milestone.achievement = achievement
    milestone.share_url = share_url(achievement)
    return render(request, "milestones/_milestone_card.html", {"m": milestone})


@login_required
@require_POST
@page_errors(not_found=True)
def share(request, milestone_id):
    return _share_card(request, milestone_id, services.achievement_share)


@login_required
@require_POST
@page_errors(not_found=True)
def unshare(request, milestone_id):
    return _share_card(request, milestone_id, services.achievement_unshare)


@login_required
@require_POST
@page_errors(not_found=True)
def celebration_seen(request, celebration_id):
    services.celebration_seen(user=request.user, celebration_id=celebration_id)
    return HttpResponse(status=204) if is_htmx(request) else redirect("dashboard")


def public(request, token):
    """The public page of a shared milestone: display name, milestone, date; never the email."""
    achievement = selectors.achievement_shared(token=token)
    if achievement is None:
        raise Http404("This link was withdrawn or never existed.")
    page_url = f"{settings.SITE_URL}{reverse('milestone_public', args=[token])}"
    return render(
        request,
        "milestones/public.html",
        {
            "achievement": achievement,
            "milestone": achievement.milestone,
            "name": achievement.user.profile.display_name,
            "platform": achievement.user.profile.get_platform_display(),
            "stats": stats_seen(achievement.user.stats, profile=achievement.user.profile),
            "creator_zone": achievement.user.profile.tzinfo,
            "page_url": page_url,
        },
    )
