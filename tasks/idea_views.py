"""The ideas page: list, add (metered), edit and delete content ideas, with htmx fragments and
plain form posts that work without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.catalog import Platform
from accounts.decorators import creator_required, signed_in_user
from accounts.selectors import platforms_followed
from core.errors import LimitReached
from core.forms import cleaned_or_raise
from core.htmx import is_htmx
from core.page_errors import Render, page_errors
from tasks import selectors
from tasks.forms import IdeaForm
from tasks.models import RoadmapTask
from tasks.services import ideas as idea_services
from tasks.views import limit_message
from usage.models import Feature
from usage.selectors import usage_for


def _task_choices(user):
    """Tasks of the roadmaps the creator follows, grouped by platform, for the task picker."""
    platforms = platforms_followed(user=user)
    tasks = RoadmapTask.objects.filter(platform__in=platforms, is_active=True).order_by("day", "order")
    groups = {platform: [] for platform in platforms}
    for task in tasks.only("id", "platform", "day", "title"):
        groups[task.platform].append(task)
    return [(Platform(platform).label, items) for platform, items in groups.items()]


def _form_values(request):
    """The service's arguments from the posted IdeaForm (InvalidInput naming a bad field)."""
    form = IdeaForm(request.POST)
    cleaned_or_raise(form)
    return form.service_values()


def _refusal_meters(request, error):
    """htmx: the refusal or the field errors go next to the form, the meters are refreshed out
    of band."""
    return {"limit": isinstance(error, LimitReached), "usage": usage_for(request.creator, features=[Feature.IDEAS])}


def _edit_form(request, error, idea_id):
    """The idea as it is, in its form again, with the refusal."""
    user = signed_in_user(request)
    return {"idea": selectors.idea_get(user=user, idea_id=idea_id), "task_groups": _task_choices(user)}


@creator_required
@require_http_methods(["GET", "POST"])
@page_errors(
    htmx=Render("tasks/_idea_error.html", retarget="#idea-form-error", context=_refusal_meters),
    redirect="ideas",
    message=limit_message,
)
def ideas(request):
    user = request.creator
    if request.method == "POST":
        idea = idea_services.idea_create(user=user, **_form_values(request))
        if not is_htmx(request):
            messages.success(request, "Idea saved.")
            return redirect("ideas")
        return render(
            request,
            "tasks/_idea_created.html",
            {"idea": idea, "usage": usage_for(user, features=[Feature.IDEAS])},
            status=201,
        )
    return render(
        request,
        "tasks/ideas.html",
        {
            "ideas": selectors.ideas_of(user=user),
            "task_groups": _task_choices(user),
            "usage": usage_for(user, features=[Feature.IDEAS]),
        },
    )


@login_required
@page_errors(not_found=True)
def idea_detail(request, idea_id):
    """htmx: one idea's list item (cancelling an edit)."""
    idea = selectors.idea_get(user=request.user, idea_id=idea_id)
    return render(request, "tasks/_idea.html", {"idea": idea})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors(
    not_found=True,
    htmx=Render("tasks/_idea_form.html", context=_edit_form),
    page=Render("tasks/idea_edit.html", context=_edit_form),
)
def idea_edit(request, idea_id):
    user = signed_in_user(request)
    idea = selectors.idea_get(user=user, idea_id=idea_id)
    if request.method == "POST":
        idea = idea_services.idea_update(user=user, idea_id=idea_id, **_form_values(request))
        if is_htmx(request):
            return render(request, "tasks/_idea.html", {"idea": idea})
        messages.success(request, "Idea updated.")
        return redirect("ideas")
    template = "tasks/_idea_form.html" if is_htmx(request) else "tasks/idea_edit.html"
    return render(request, template, {"idea": idea, "task_groups": _task_choices(user)})


@login_required
@require_POST
@page_errors(not_found=True)
def idea_delete(request, idea_id):
    idea_services.idea_delete(user=request.user, idea_id=idea_id)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, "Idea deleted.")
    return redirect("ideas")
