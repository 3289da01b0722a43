from rest_framework.permissions import IsAuthenticated

from accounts.middleware import creator_timezone_activate


class IsCreator(IsAuthenticated):
    """Signed in and a creator (has a profile); staff-only accounts are not creators. Every API
    request of a creator passes here once authenticated: it activates the creator's time zone
    (accounts.middleware), whichever way they signed in, from the profile already loaded."""

    message = "This needs a creator account."

    def has_permission(self, request, view):
        if not (super().has_permission(request, view) and hasattr(request.user, "profile")):
            return False
        creator_timezone_activate(request.user.profile)
        return True
