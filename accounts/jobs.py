"""Email jobs (django-tasks, run by `manage.py db_worker`). They take ids, load fresh rows,
and send through `send_once`, so running one twice sends its email once."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import DataExport
from accounts.selectors import active_user, enrollment_primary, roadmap_day_today
from accounts.tokens import email_change_revert_token_make, verification_token_make
from core.email import email_job, send_once, sent_email_forget


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


@email_job
def send_verification_email(user_id, nonce):
    user = active_user(user_id=user_id)
    if user is None or user.is_verified:
        return "skipped"
    url = _absolute(reverse("verify_email", args=[verification_token_make(user)]))
    return send_once(key=f"verify:{user_id}:{nonce}", template="verify_email",
                     context={"user": user, "verify_url": url}, to=user.email)


@email_job
def send_welcome_email(user_id):
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    enrollment = enrollment_primary(user=user)
    # Day 1 is the signup date: a creator who verifies days later is told so, not "starts today".
    context = {"user": user, "dashboard_url": _absolute(reverse("dashboard")), "started_on": enrollment.started_on,
               "roadmap_day": roadmap_day_today(enrollment=enrollment, profile=user.profile)}
    return send_once(key=f"welcome:{user_id}", template="welcome", context=context, to=user.email)


@email_job
def send_password_reset_email(user_id, nonce):
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return send_once(key=f"password_reset:{user_id}:{nonce}", template="password_reset",
                     context={"user": user, "reset_url": _absolute(path)}, to=user.email)


@email_job
def send_account_exists_email(user_id, nonce):
    """To the owner of an email someone tried to sign up with: log in or reset the password."""
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    context = {"user": user, "login_url": _absolute(reverse("login")), "reset_url": _absolute(reverse("password_reset"))}
    return send_once(key=f"account_exists:{user_id}:{nonce}", template="account_exists", context=context, to=user.email)


@email_job
def send_email_changed_notice(user_id, old_email, new_email, nonce):
    """To the address a creator changed away from: what changed, and a "this wasn't me" link
    that puts it back and resets the password (accounts.account_services.email_change_revert)."""
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    token = email_change_revert_token_make(user_id=user_id, old_email=old_email, new_email=new_email)
    revert_url = _absolute(reverse("email_change_revert", args=[token]))
    context = {"user": user, "new_email": new_email, "revert_url": revert_url}
    return send_once(key=f"email_changed:{user_id}:{nonce}", template="email_changed", context=context, to=old_email)


@email_job
def send_password_changed_email(user_id, nonce):
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    context = {"user": user, "reset_url": _absolute(reverse("password_reset"))}
    return send_once(key=f"password_changed:{user_id}:{nonce}", template="password_changed", context=context,
                     to=user.email)


@email_job
def send_account_deleted_email(address, tombstone_id, display_name):
    """To the address captured before the deletion (the account is gone): it is done."""
    sent = send_once(key=f"account_deleted:{tombstone_id}", template="account_deleted",
                     context={"display_name": display_name}, to=address)
    sent_email_forget(address=address)  # the log keeps the key, not the deleted creator's address
    return sent


@email_job
def send_export_ready_email(user_id, export_id):
    user = active_user(user_id=user_id)
    export = DataExport.objects.filter(pk=export_id, user_id=user_id, ready_at__isnull=False).first()
    if user is None or export is None:
        return "skipped"
    context = {"user": user, "expires_at": export.expires_at,
               "download_url": _absolute(reverse("account_export_download", args=[export.token]))}
    return send_once(key=f"export_ready:{export_id}", template="export_ready", context=context, to=user.email)
