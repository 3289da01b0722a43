"""Accounts' reads."""

from django.utils import timezone

from accounts.catalog import EMAIL_KIND_FIELDS, EmailKind, Platform
from accounts.emails import COLLISION_PREFIX, email_canonical, email_skeleton
from accounts.models import CreatorProfile, DataExport, Enrollment, User
from core.rawsql import ModelRow


def creator_get(*, user_id):
    """The user with profile and stats in one query (None if missing)."""
    return User.objects.select_related("profile", "stats").filter(pk=user_id).first()


def active_user(*, user_id):
    """An active user with their profile (None if gone or deactivated): what email jobs need."""
    return User.objects.select_related("profile").filter(pk=user_id, is_active=True).first()


def user_by_email(*, email, active_only=True):
    """The account whose address is `email` in its canonical form (accounts.emails), or None.
    One row at most: email_canonical is unique."""
    users = User.objects.filter(email_canonical=email_canonical(email))
    return (users.filter(is_active=True) if active_only else users).first()


def user_by_look_alike(*, email):
    """The active account whose address looks like `email` (same skeleton), or None: whom to
    tell when someone signs up with their address or a look-alike of it."""
    return User.objects.filter(email_skeleton=email_skeleton(email), is_active=True).first()


def email_confusable_taken(*, email, exclude_user_id=None):
    """Whether another account has `email` or a look-alike of it (same canonical form or same
    skeleton): signup, the admin and email change refuse such an address. The unique columns
    decide a race; this is the check that names the field before the write."""
    taken = User.objects.filter(email_skeleton=email_skeleton(email)) | User.objects.filter(
        email_canonical=email_canonical(email)
    )
    if exclude_user_id is not None:
        taken = taken.exclude(pk=exclude_user_id)
    return taken.exists()


def email_collisions():
    """Accounts whose address collided with an older account's when the canonical columns were
    filled (migration accounts 0003_i28), or whose stored canonical form no longer matches their
    address (an email written with a queryset .update()): [(user, holder or None)]."""
    found = []
    for user in User.objects.order_by("pk").only("pk", "email", "email_canonical", "email_skeleton"):
        if user.email_canonical.startswith(COLLISION_PREFIX) or user.email_canonical != email_canonical(user.email):
            holder = (User.objects.filter(email_skeleton=email_skeleton(user.email)).exclude(pk=user.pk).first()
                      or User.objects.filter(email_canonical=email_canonical(user.email)).exclude(pk=user.pk).first())
            found.append((user, holder))
    return found


def enrollment_primary(*, user):
    """The enrollment for the creator's main platform (the one chosen at signup)."""
    return Enrollment.objects.filter(user=user, platform=user.profile.platform).first()


# Hand-written SQL (core.rawsql): every roadmap and dashboard reads it, and the ORM's query
# building cost more CPU than the statement (a read of the unique (user, platform) index).
_ENROLLMENT = ModelRow(Enrollment, "user", "platform")


def enrollment_get(*, user, platform):
    """The creator's enrollment on `platform`, or None, also for anything that is not a
    platform (a query parameter can carry bytes, like NUL, that PostgreSQL refuses in text).
    One query."""
    if platform not in Platform.values:
        return None
    return _ENROLLMENT.get([user.pk, platform])


def enrollments_of(*, user):
    return list(Enrollment.objects.filter(user=user).order_by("created_at"))


def local_today(*, profile, now=None):
    """The creator's calendar date at `now` (default: now), in their time zone."""
    return timezone.localdate(now or timezone.now(), timezone=profile.tzinfo)


def roadmap_day_today(*, enrollment, profile, now=None):
    """Day N of the roadmap today: day 1 is the enrollment's start date, in the creator's
    time zone. May be above 90 (the roadmap is finished) but never below 1."""
    return max((local_today(profile=profile, now=now) - enrollment.started_on).days + 1, 1)


def platforms_followed(*, user):
    """The platforms whose roadmaps the creator follows, main one first. One query."""
    main = user.profile.platform
    platforms = list(Enrollment.objects.filter(user=user).order_by("created_at").values_list("platform", flat=True))
    return sorted(platforms, key=lambda platform: platform != main)


def email_wanted(*, user_id, kind):
    """Whether the creator `user_id` (active) still wants emails of `kind` (an EmailKind):
    every non-transactional email job asks this when it sends, not when it was queued."""
    field = EMAIL_KIND_FIELDS[EmailKind(kind)]
    return CreatorProfile.objects.filter(user_id=user_id, user__is_active=True, **{field: True}).exists()


def data_export_download(*, user, token):
    """The creator's own built export behind `token`, while its link works; else None."""
    return DataExport.objects.filter(user=user, token=token, ready_at__isnull=False,
                                     expires_at__gt=timezone.now()).first()
