"""API token authentication, token lifetime and the login lockout's (django-axes) hooks."""

import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core import db_router


def token_expired(token):
    """Older than API_TOKEN_MAX_AGE seconds (0: tokens do not expire)."""
    max_age = settings.API_TOKEN_MAX_AGE
    return bool(max_age) and token.created < timezone.now() - datetime.timedelta(seconds=max_age)


class CreatorTokenAuthentication(TokenAuthentication):
    """Token auth that loads the creator's profile and stats with the user, in the one query
    every API request makes anyway (the views and the creator permission need them). A view
    that locks and re-reads the stats itself (completing a task) sets `auth_loads_stats = False`:
    the stats it would never use cost a quarter of the auth query's CPU. A token past
    API_TOKEN_MAX_AGE is deleted and refused."""

    related = ("user__profile", "user__stats")

    def authenticate(self, request):
        view = (request.parser_context or {}).get("view")
        if not getattr(view, "auth_loads_stats", True):
            self.related = ("user__profile",)  # this instance serves this one request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        model = self.get_model()
        tokens = model.objects.select_related(*self.related)
        try:
            token = tokens.get(key=key)
        except model.DoesNotExist:
            # A token made a moment ago (signup, login) may not be on a lagging replica yet: ask
            # the primary, and if it is there, read this creator's request from the primary.
            try:
                token = tokens.using(DEFAULT_DB_ALIAS).get(key=key)
            except model.DoesNotExist:
                return super().authenticate_credentials(key)  # raises the usual AuthenticationFailed
            db_router.pin_to_primary()
        if not token.user.is_active:
            return super().authenticate_credentials(key)
        if token_expired(token):
            model.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed("This token has expired: ask POST /api/v1/auth/token for a new one.")
        return token.user, token


def axes_username(request, credentials):
    """The account a login attempt is for, as the lockout counts it: the email in lower case
    (logins match any letter case, so the lockout must too), from the form's `username`
    field or the token API's `email`."""
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email")
    if name is None:
        data = getattr(request, "POST", {}) or {}
        name = data.get("username") or data.get("email")
    return (name or "").strip().lower() or None


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; the API's envelope under /api/."""
    from core.throttle import throttled_response

    wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return throttled_response(request, wait, message="Too many failed logins for this account from your address.",
                              template="registration/locked_out.html")
