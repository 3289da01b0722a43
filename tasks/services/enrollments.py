"""Following and leaving other platforms' roadmaps: metered by usage (`platforms`, a lifetime
count: leaving frees the slot). Enrollment rows are accounts'; these services write them
through accounts' services."""

import dataclasses

from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.catalog import check_platform
from core.errors import Conflict, InvalidInput, NotFound
from core.transactions import durable_service
from usage import services as usage_services
from usage.models import Feature


class MainPlatform(Conflict):
    code = "main_platform"
    message = "This is the platform you signed up with: its roadmap cannot be left."


@dataclasses.dataclass(frozen=True)
class EnrollResult:
    enrollment: object
    created: bool


def enroll_input(*, user, platform, now):
    """platform_enroll's check, before its transaction: a platform we have roadmaps for."""
    errors = {}
    check_platform(platform, errors)
    InvalidInput.raise_if_any(errors)
    return {"user": user, "platform": platform, "now": now or timezone.now()}


def followed_meanwhile(exc, *, user, platform, now):
    """The enrollment another writer made while ours was in flight: it stands, ours (and our
    count) rolled back. Only a writer that bypassed the stats lock can get here."""
    existing = account_selectors.enrollment_get(user=user, platform=platform)
    if existing is None:
        raise exc
    return EnrollResult(existing, False)


@durable_service("tasks.platform_enroll", validate=enroll_input, integrity_error=followed_meanwhile)
def platform_enroll(*, user, platform, now=None):
    """Follow another platform's roadmap, day 1 being the creator's today. Following one
    already followed returns it and counts nothing. Raises InvalidInput (unknown platform),
    LimitReached (429: the plan's platforms are all in use)."""
    # The stats lock serialises this creator's enrollments, so the check below is authoritative.
    account_services.stats_lock(user_id=user.pk)
    existing = account_selectors.enrollment_get(user=user, platform=platform)
    if existing is not None:
        return EnrollResult(existing, False)
    usage_services.usage_consume(user=user, feature=Feature.PLATFORMS, now=now)
    enrollment = account_services.enrollment_create(
        user=user, platform=platform, started_on=account_selectors.local_today(profile=user.profile, now=now)
    )
    return EnrollResult(enrollment, True)


@durable_service("tasks.platform_leave")
def platform_leave(*, user, platform, now=None):
    """Stop following a platform's roadmap and free its slot (one conditional UPDATE, never
    below zero). Completions on it are kept (points stay earned). Raises NotFound (not
    followed), MainPlatform (409: the platform chosen at signup)."""
    if platform == user.profile.platform:
        raise MainPlatform()
    account_services.stats_lock(user_id=user.pk)
    if not account_services.enrollment_delete(user=user, platform=platform):
        raise NotFound("You do not follow this platform's roadmap.")
    usage_services.usage_release(user=user, feature=Feature.PLATFORMS, now=now)
