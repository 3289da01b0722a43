"""Tasks' pages: dashboard, roadmap, completing a task without a full page reload (htmx)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import creator_get, enrollments_of, local_today
from core.errors import DomainError
from core.htmx import is_htmx
from milestones.selectors import celebrations_pending
from tasks import selectors, services
from tasks.models import PHASES


def _creator_or_redirect(request):
    user = creator_get(user_id=request.user.pk)
    if not hasattr(user, "profile"):
        # Staff accounts (createsuperuser) have no creator profile: their home is the admin.
        return None, redirect("admin:index")
    return user, None


@login_required
def dashboard(request):
    user, elsewhere = _creator_or_redirect(request)
    if elsewhere:
        return elsewhere
    roadmap = selectors.roadmap_for(user=user)
    return render(
        request,
        "tasks/dashboard.html",
        {
            "creator": user,
            "stats": user.stats,
            "roadmap": roadmap,
            "today": roadmap.today_day,
            "calendar": selectors.activity_calendar(user=user, today=local_today(profile=user.profile)),
            "celebrations": celebrations_pending(user=user),
        },
    )


@login_required
def roadmap(request):
    user, elsewhere = _creator_or_redirect(request)
    if elsewhere:
        return elsewhere
    platform = request.GET.get("platform")
    try:
        roadmap = selectors.roadmap_for(user=user, platform=platform)
    except DomainError:
        return redirect("roadmap")
    weeks_by_phase = {}
    for day in roadmap.days:
        weeks_by_phase.setdefault(day.phase, {}).setdefault(day.week, []).append(day)
    phases = [(phase, PHASES[phase], weeks) for phase, weeks in weeks_by_phase.items()]
    return render(
        request,
        "tasks/roadmap.html",
        {"creator": user, "roadmap": roadmap, "phases": phases, "enrollments": enrollments_of(user=user)},
    )


@login_required
@require_POST
def task_complete(request, task_id):
    """htmx: complete a task and answer with the updated task card, the stats (out-of-band)
    and any celebration. Without htmx, redirect back."""
    user = creator_get(user_id=request.user.pk)
    quality = request.POST.get("quality")
    try:
        result = services.task_complete(
            user=user,
            task_id=task_id,
            quality=int(quality) if quality and quality.isdigit() else None,
            notes=request.POST.get("notes", ""),
        )
    except DomainError as exc:
        if not is_htmx(request):
            return redirect(request.POST.get("next") or "dashboard")
        return render(request, "tasks/_task_error.html", {"task_id": task_id, "error": exc}, status=200)
    if not is_htmx(request):
        return redirect(request.POST.get("next") or "dashboard")
    task = result.completion.task
    task.completed, task.completed_at, task.locked = True, result.completion.completed_at, False
    return render(
        request,
        "tasks/_complete_response.html",
        {
            "task": task,
            "stats": result.stats,
            "progress": selectors.roadmap_progress(user=user, platform=task.platform),
            "celebrations": result.pending_celebrations,
        },
    )
