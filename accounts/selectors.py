"""Accounts' reads."""

from accounts.models import Enrollment, User


def creator_get(*, user_id):
    """The user with profile and stats in one query (None if missing)."""
    return User.objects.select_related("profile", "stats").filter(pk=user_id).first()


def enrollment_primary(*, user):
    """The enrollment for the creator's main platform (the one chosen at signup)."""
    return Enrollment.objects.filter(user=user, platform=user.profile.platform).first()
