"""Every date and time a creator reads is in their own time zone."""

import contextvars

from django.conf import settings
from django.utils import timezone

# Whether this request made a creator's time zone the current one. Only then is there one to
# deactivate on the way out: django.utils.timezone keeps it in an asgiref Local, and clearing an
# unset Local costs every request (the API, health checks, anyone signed out) 4 us for nothing.
_zone_activated = contextvars.ContextVar("creator_zone_activated", default=False)


def _activate(zone):
    """The one place a request activates a zone (accounts/tests/test_timezone.py checks that),
    so CreatorTimezoneMiddleware knows to deactivate it."""
    timezone.activate(zone)
    _zone_activated.set(True)


def creator_timezone_activate(profile):
    """Make the creator's time zone the current one for the rest of the request: templates,
    `|date`, forms and DRF's date-times (ISO 8601 with the zone's offset) use it."""
    _activate(profile.tzinfo)


class CreatorTimezoneMiddleware:
    """Activates the signed-in creator's time zone (their profile's) for the request, so pages,
    the exports and the API's local dates agree with what the creator's clock says; anyone else
    (signed out, staff) reads UTC. A page request signed in with the session reads the zone
    from the profile loaded with the user, no query of its own. The API authenticates inside DRF, after this middleware:
    accounts.permissions.IsCreator activates the zone there from the profile the token query
    already loaded, and this middleware still resets it after the response. A request without a
    session cookie cannot be signed in with the session: it is not asked who its user is, which
    would build the session and the anonymous user for nothing (the API, health checks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No zone to clear first: every request this middleware served deactivated its own on the way out.
        activated = _zone_activated.set(False)
        # Without a session cookie the session is not even built (core.middleware.LazySessionMiddleware).
        signed_out = hasattr(request, "session") and settings.SESSION_COOKIE_NAME not in request.COOKIES
        user = None if signed_out else getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # The session's user comes with its profile (accounts.backends.EmailBackend.get_user).
            profile = getattr(user, "profile", None)
            if profile is not None:
                _activate(profile.tzinfo)
        try:
            return self.get_response(request)
        finally:
            if _zone_activated.get():
                timezone.deactivate()
            _zone_activated.reset(activated)
