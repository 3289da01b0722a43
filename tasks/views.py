"""Tasks' pages: dashboard, roadmap, completing a task without a full page reload (htmx),
exporting the roadmap, following and leaving other platforms."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.catalog import Platform
from accounts.decorators import creator_required, signed_in_user
from accounts.selectors import enrollments_of, local_today
from accounts.streaks import stats_seen
from core.errors import LimitReached
from core.forms import cleaned_or_raise, safe_next
from core.htmx import is_htmx
from core.page_errors import Render, page_errors
from milestones.selectors import celebrations_pending
from tasks import forms, fragments, selectors
from tasks.api import export_response
from tasks.models import PHASES
from tasks.services import completion, enrollments, exports
from usage.models import Feature
from usage.selectors import usage_for


@creator_required
def dashboard(request):
    user = request.creator
    completions = selectors.completions_of(user=user)
    roadmap = selectors.roadmap_for(user=user, completions=completions)
    calendar = selectors.activity_calendar(completions=completions, today=local_today(profile=user.profile))
    today = roadmap.today_day
    today_tasks = today.tasks if today else ()
    today_cards = [fragments.task_card(task, request=request, open_details=True) for task in today_tasks]
    return render(
        request,
        "tasks/dashboard.html",
        {
            "creator": user,
            "stats": stats_seen(user.stats, profile=user.profile),
            "roadmap": roadmap,
            "today": today,
            "today_cards": today_cards,
            "calendar": fragments.calendar_weeks(calendar),
            "celebrations": celebrations_pending(user=user, catalogue_version=roadmap.catalogue_version),
            "usage": usage_for(user, plan=roadmap.plan),
        },
    )


@creator_required
def dashboard_meters(request):
    """htmx: the dashboard's meters again, when the creator comes back to the page or a metered
    action on it finished (the `usage-changed` event), so they move without a reload."""
    return render(
        request,
        "usage/_meters.html",
        {"usage": usage_for(request.creator), "refresh_url": reverse("dashboard_meters")},
    )


@creator_required
def export_meter(request):
    """htmx: the roadmap's exports meter again, after an export downloaded (static/js/app.js
    fires `usage-changed` once the file arrived)."""
    return render(request, "tasks/_export_meter.html", {"usage": usage_for(request.creator, features=[Feature.EXPORTS])})


@creator_required
@page_errors(redirect="roadmap", message=None)
def roadmap(request):
    user = request.creator
    query = forms.RoadmapFilterForm(request.GET)
    if not query.is_valid():
        return redirect("roadmap")
    roadmap = selectors.roadmap_for(user=user, platform=query.cleaned_data["platform"] or None)
    weeks_by_phase = {}
    for day in roadmap.days:
        weeks_by_phase.setdefault(day.phase, {}).setdefault(day.week, []).append(day)
    phases = [
        (phase, PHASES[phase], [(week, fragments.roadmap_days(days, request=request)) for week, days in weeks.items()])
        for phase, weeks in weeks_by_phase.items()
    ]
    followed = enrollments_of(user=user)
    platforms = [
        {
            "value": value,
            "label": label,
            "followed": value in {e.platform for e in followed},
            "main": value == user.profile.platform,
            "current": value == roadmap.platform,
        }
        for value, label in Platform.choices
    ]
    return render(
        request,
        "tasks/roadmap.html",
        {
            "creator": user,
            "roadmap": roadmap,
            "phases": phases,
            "enrollments": followed,
            "platforms": platforms,
            "usage": usage_for(user, features=[Feature.PLATFORMS, Feature.EXPORTS], plan=roadmap.plan),
        },
    )


def limit_message(exc):
    """The text of a refusal, with the upgrade link when it is the plan's limit."""
    if isinstance(exc, LimitReached):
        return format_html('{} <a href="{}">See plans</a>', exc.message, reverse("pricing"))
    return exc.message


def _roadmap_url(platform=None):
    url = reverse("roadmap")
    return f"{url}?{urlencode({'platform': platform})}" if platform else url


def _export_back(request):
    """The roadmap the export was asked from (the plain roadmap when the form is not valid)."""
    form = forms.ExportForm(request.POST)
    return _roadmap_url(form.cleaned_data["platform"] if form.is_valid() else None)


@creator_required
@require_POST
@page_errors(redirect=_export_back, message=limit_message)
def roadmap_export(request):
    """Download the roadmap as .ics or .csv (a form post: the browser saves the file). A refusal
    goes back to the roadmap with the message."""
    data = cleaned_or_raise(forms.ExportForm(request.POST))
    export = exports.roadmap_export(user=request.creator, fmt=data["format"], platform=data["platform"] or None)
    return export_response(export)


@creator_required
@require_POST
@page_errors(redirect="roadmap", message=limit_message)
def platform_enroll(request):
    platform = cleaned_or_raise(forms.PlatformForm(request.POST))["platform"]
    result = enrollments.platform_enroll(user=request.creator, platform=platform)
    if result.created:
        messages.success(request, f"You now follow the {result.enrollment.get_platform_display()} roadmap: day 1 is today.")
    return redirect(_roadmap_url(platform))


@creator_required
@require_POST
@page_errors(redirect="roadmap")
def platform_leave(request):
    platform = cleaned_or_raise(forms.PlatformForm(request.POST))["platform"]
    enrollments.platform_leave(user=request.creator, platform=platform)
    messages.success(request, f"You left the {Platform(platform).label} roadmap; its slot is free again.")
    return redirect("roadmap")


def _back(request, **url_arguments):
    # Back to where the creator was, never to another site (`next=//evil.example/x`).
    return safe_next(request, forms.TaskCompleteForm(request.POST).data.get("next"), "dashboard")


@login_required
@require_POST
@page_errors(htmx=Render("tasks/_task_error.html", retarget="#task-{task_id}-feedback"), redirect=_back)
def task_complete(request, task_id):
    """htmx: complete a task and answer with the updated task card, the stats (out-of-band)
    and any celebration; a refusal goes beside the card, which stays as it was (the creator can
    retry). Without htmx, redirect back."""
    user = signed_in_user(request)
    data = cleaned_or_raise(forms.TaskCompleteForm(request.POST))
    result = completion.task_complete(user=user, task_id=task_id, quality=data["quality"], notes=data["notes"])
    if not is_htmx(request):
        return HttpResponseRedirect(_back(request))
    task = result.completion.task
    task_seen = selectors.CreatorTask(task, completed_at=result.completion.completed_at, locked=False, catalogue_version=None)
    return render(
        request,
        "tasks/_complete_response.html",
        {
            "card": fragments.task_card(task_seen, request=request),
            "stats": stats_seen(result.stats, profile=user.profile),
            "progress": selectors.roadmap_progress(user=user, platform=task.platform),
            "celebrations": result.pending_celebrations,
        },
    )
