"""Reminder pages: the preferences (a page and the partial a settings page includes) and the stop
link of every reminder email (one-click, RFC 8058: no login, no CSRF token, the signed link is the
authority)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from accounts.decorators import creator_required
from accounts.selectors import active_user
from accounts.services import profile_update
from core.forms import cleaned_or_raise
from core.page_errors import Render, page_errors
from reminders.forms import ReminderPreferencesForm
from reminders.models import ReminderKind
from reminders.selectors import schedules_of
from reminders.services import reminder_stop
from reminders.tokens import stop_token_read


def _page(request, form):
    return render(request, "reminders/settings.html", {"form": form, "schedules": schedules_of(user=request.creator)})


def _invalid(request, error):
    return {"form": ReminderPreferencesForm.for_profile(request.creator.profile, data=request.POST),
            "schedules": schedules_of(user=request.creator)}


@creator_required
@page_errors(page=Render("reminders/settings.html", status=400, context=_invalid))
def reminder_settings(request):
    profile = request.creator.profile
    if request.method != "POST":
        return _page(request, ReminderPreferencesForm.for_profile(profile))
    data = cleaned_or_raise(ReminderPreferencesForm.for_profile(profile, data=request.POST))
    profile_update(user=request.creator, **data)
    messages.success(request, "Reminders saved.")
    return redirect("reminder_settings")


@csrf_exempt
def stop_link(request, token):
    claim = stop_token_read(token)
    user = claim and active_user(user_id=claim[0])
    if user is None:
        raise Http404("This link is not valid.")
    kind = ReminderKind(claim[1])
    if request.method == "POST":
        reminder_stop(user=user, kind=kind)
        return render(request, "reminders/stopped.html", {"kind": kind})
    return render(request, "reminders/stop.html", {"kind": kind})
