from rest_framework.permissions import IsAuthenticated


class IsCreator(IsAuthenticated):
    """Signed in and a creator (has a profile); staff-only accounts are not creators."""

    message = "This needs a creator account."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and hasattr(request.user, "profile")
