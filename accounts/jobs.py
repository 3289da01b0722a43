"""Email jobs (django-tasks, run by `manage.py db_worker`). They take ids, load fresh rows,
and send through `send_once`, so running one twice sends its email once."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.selectors import active_user, enrollment_primary, roadmap_day_today
from accounts.tokens import verification_token_make
from core.email import email_job, send_once


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
