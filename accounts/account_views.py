"""The settings page and the links emails carry (unsubscribe, "this wasn't me"): thin callers
of accounts.account_services. Deletion and export are ops' (they span every app)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import account_forms, account_services
from accounts.decorators import creator_required
from accounts.unsubscribe import unsubscribe_token_kind
from core.page_errors import Render, page_errors

def _settings_page(request, bound=None, status=200):
    """The settings page, with `bound` ({name: form}) in place of the blank forms: a form that
    was refused shows its errors beside its fields."""
    creator = request.creator
    forms = {
        "profile": account_forms.ProfileSettingsForm(profile=creator.profile),
        "email": account_forms.EmailChangeForm(prefix="email"),
        "password": account_forms.PasswordChangeForm(prefix="password"),
        "delete": account_forms.PasswordConfirmForm(prefix="delete"),
    }
    forms.update(bound or {})
    return render(request, "accounts/settings.html", {"forms": forms, "creator": creator}, status=status)


def _refused(request, name, form):
    """Save a bound settings form through its service: None when saved, else the page with the
    form's errors (400)."""
    if form.is_valid() and form.save(user=request.creator, keep_session_key=request.session.session_key) is not None:
        return None
    return _settings_page(request, {name: form}, status=400)


@creator_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    """Display name, niche, time zone and email preferences (one form), and the other forms."""
    if request.method == "GET":
        return _settings_page(request)
    form = account_forms.ProfileSettingsForm(request.POST, profile=request.creator.profile)
    refused = _refused(request, "profile", form)
    if refused:
        return refused
    messages.success(request, "Your settings are saved.")
    return redirect("settings")


@creator_required
@require_POST
def email_change(request):
    refused = _refused(request, "email", account_forms.EmailChangeForm(request.POST, prefix="email"))
    if refused:
        return refused
    messages.success(request, f"Your email is now {request.creator.email}: check that inbox for the verification link.")
    return redirect("settings")


@creator_required
@require_POST
def password_change(request):
    refused = _refused(request, "password", account_forms.PasswordChangeForm(request.POST, prefix="password"))
    if refused:
        return refused
    # This session stays signed in (with the new hash) under a new key, remembered like a login.
    old_key = request.session.session_key
    update_session_auth_hash(request, request.creator)
    account_services.session_record(user_id=request.creator.pk, session_key=request.session.session_key,
                                    replacing=old_key)
    messages.success(request, "Your password is changed. Every other session is signed out.")
    return redirect("settings")


@creator_required
@require_POST
def sign_out_everywhere(request):
    account_services.sessions_sign_out_everywhere(user=request.creator, keep_session_key=request.session.session_key)
    messages.success(request, "Every other session is signed out and your API tokens are revoked.")
    return redirect("settings")


@page_errors(page=Render("accounts/link_failed.html", status=400))
def email_change_revert(request, token):
    """GET: explain; POST: undo the change (a link preview or a scanner only GETs)."""
    if request.method != "POST":
        return render(request, "accounts/email_change_revert.html", {"token": token})
    user = account_services.email_change_revert(token=token)
    return render(request, "accounts/email_change_reverted.html", {"email": user.email})


@csrf_exempt  # the signed token is the proof (RFC 8058: mail clients POST without a session)
@require_http_methods(["GET", "POST"])
@page_errors(page=Render("accounts/link_failed.html", status=400))
def unsubscribe(request, token):
    """GET: a confirmation page with a button (a link scanner's GET changes nothing). POST (the
    button, or a mail client's one-click `List-Unsubscribe=One-Click`): turn the kind off."""
    if request.method == "GET":
        kind = unsubscribe_token_kind(token)
        return render(request, "accounts/unsubscribe.html", {"token": token, "kind": kind and kind.label})
    kind = account_services.email_unsubscribe(token=token)
    return render(request, "accounts/unsubscribed.html", {"kind": kind.label})
