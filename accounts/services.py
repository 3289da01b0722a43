"""Accounts' writes. Signup creates the four rows a creator needs in one durable transaction."""

import dataclasses
import datetime
import enum
import unicodedata
import uuid
import zoneinfo

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone as dj_timezone
from rest_framework.authtoken.models import Token

from accounts import jobs
from accounts.authentication import token_expired
from accounts.catalog import Platform, check_platform, is_timezone, is_valid_niche
from accounts.emails import email_canonical, email_skeleton
from accounts.locks import stats_lock_following, stats_qs_select_for_update
from accounts.models import (
    CreatorProfile,
    CreatorStats,
    Enrollment,
    User,
)
from accounts.selectors import user_by_email, user_by_look_alike
from accounts.signals import reminder_inputs_changed
from accounts.tokens import verification_token_read
from core.email import email_enqueue
from core.errors import EmailTaken, InvalidInput, NotFound, Throttled
from core.rawsql import Table, Write
from core.throttle import throttle_hit
from core.transactions import durable_service

DISPLAY_NAME_MAX = CreatorProfile._meta.get_field("display_name").max_length


@dataclasses.dataclass(frozen=True)
class SignupResult:
    user: User
    api_token: str | None


def _check_niche(platform, niche, errors):
    if niche and platform in Platform.values and not is_valid_niche(platform, niche):
        errors["niche"] = [f"{niche!r} is not a niche offered for {platform}."]


def _check_timezone(tz, errors):
    if not is_timezone(tz):
        errors["timezone"] = [f"{tz!r} is not an IANA time zone, e.g. Europe/Berlin."]


# Bidirectional overrides and isolates reorder the text around them (a name shown beside a
# link could make it read backwards).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_name_problem(display_name):
    """Why `display_name` cannot be shown on pages and in email subjects, or None. One line of
    printable text: no control character (a newline in a subject made the welcome job fail),
    no bidirectional override, no other invisible format character (category Cf)."""
    if len(display_name) > DISPLAY_NAME_MAX:
        return f"At most {DISPLAY_NAME_MAX} characters."
    for char in display_name:
        category = unicodedata.category(char)
        if category == "Cc":
            return "Use one line of text, without line breaks or control characters."
        if char in _BIDI_CONTROLS or category in ("Cf", "Zl", "Zp"):
            return f"Remove the invisible formatting character U+{ord(char):04X}."
    return None


def _check_display_name(display_name, errors):
    problem = display_name_problem(display_name)
    if problem:
        errors["display_name"] = [problem]


def signup_input(*, email, password, platform, niche, timezone, display_name, issue_api_token):
    """user_signup's checks, before its transaction: each bad field named (InvalidInput); the
    email normalised, the display name defaulted, and the password hashed (deliberately slow:
    outside the transaction, so that it holds its locks only for the inserts)."""
    email = User.objects.normalize_email((email or "").strip())
    display_name = (display_name or "").strip() or email.split("@")[0][:DISPLAY_NAME_MAX]
    errors = {}
    try:
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = list(exc.messages)
    try:
        password_validation.validate_password(password or "", user=User(email=email))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    check_platform(platform, errors)
    _check_niche(platform, niche, errors)
    _check_timezone(timezone, errors)
    _check_display_name(display_name, errors)
    InvalidInput.raise_if_any(errors)
    return {
        "email": email, "password": make_password(password), "platform": platform, "niche": niche,
        "timezone": timezone, "display_name": display_name, "issue_api_token": issue_api_token,
    }


def email_taken(exc, *, email, **_):
    """A signup whose email (or a look-alike of it: accounts.emails) another account has, or
    that lost the race for it to another signup: EmailTaken."""
    # PostgreSQL names the constraint, SQLite the column: each name holds its column's.
    if not any(column in str(exc) for column in ("email_canonical", "email_skeleton")):
        raise exc
    raise EmailTaken(fields={"email": [EmailTaken.message]}) from exc


@durable_service("accounts.user_signup", validate=signup_input, integrity_error=email_taken)
def user_signup(*, email, password, platform, niche="", timezone="UTC", display_name="", issue_api_token=False):
    """Create a creator: User + CreatorProfile + CreatorStats + the first Enrollment, all or
    nothing, then email the verification link after commit. `password` reaches this body hashed
    (signup_input). Raises InvalidInput (400) naming each bad field, EmailTaken (409) for a
    known email."""
    user = User.objects.create(email=email, password=password)
    CreatorProfile.objects.create(
        user=user, platform=platform, niche=niche, timezone=timezone, display_name=display_name
    )
    CreatorStats.objects.create(user=user)
    Enrollment.objects.create(
        user=user,
        platform=platform,
        started_on=dj_timezone.localdate(timezone=zoneinfo.ZoneInfo(timezone)),
    )
    api_token = Token.objects.create(user=user).key if issue_api_token else None
    email_enqueue(jobs.send_verification_email, user.pk, uuid.uuid4().hex)
    return SignupResult(user=user, api_token=api_token)


@durable_service("accounts.email_verify")
def email_verify(*, token):
    """Mark the email behind `token` verified and, the first time only, send the welcome
    email after commit. A repeat (double click, second tab) is a harmless success."""
    try:
        user_id, email = verification_token_read(token)
    except signing.SignatureExpired as exc:
        raise InvalidInput("This verification link has expired; ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise InvalidInput("This verification link is not valid.") from exc
    users = User.objects.filter(pk=user_id, email_canonical=email_canonical(email))
    verified_now = users.filter(email_verified_at__isnull=True).update(
        email_verified_at=dj_timezone.now()
    )
    user = users.first()
    if user is None:
        raise NotFound("This account no longer exists.")
    if verified_now:
        email_enqueue(jobs.send_welcome_email, user.pk)
    return user


def verification_resend(*, user):
    """Send a fresh verification link, unless the email is verified already or the account
    asked for THROTTLE_RATES["verification_resend"] already (each one is an email)."""
    if user.is_verified:
        return False
    if throttle_hit("verification_resend", f"user:{user.pk}"):
        raise Throttled("You asked for several links already: use the newest, or try again later.")
    email_enqueue(jobs.send_verification_email, user.pk, uuid.uuid4().hex)
    return True


def signup_on_taken_email(*, email):
    """Someone signed up with the email of an existing account: tell its owner (a login and a
    reset link) instead of telling the person at the form, who is answered as for a new
    account (no enumeration). At most THROTTLE_RATES["signup_notice"] such emails per address."""
    user = user_by_look_alike(email=email)
    if user is None or throttle_hit("signup_notice", f"user:{user.pk}"):
        return
    email_enqueue(jobs.send_account_exists_email, user.pk, uuid.uuid4().hex)


@dataclasses.dataclass(frozen=True)
class SignupOutcome:
    """What a signup from the outside (the page, the API) did: `email` is the address as the
    caller is told it (the same form whether or not it was taken); `user` is None when the
    address or a look-alike of it belongs to an account, whose owner was emailed instead."""

    email: str
    user: User | None


def signup_request(**fields):
    """user_signup for an anonymous caller, who is answered alike whether or not the address is
    taken (no account enumeration): a taken address (or a look-alike) emails its owner instead.
    InvalidInput still names each bad field (a bad field says nothing about other accounts)."""
    email = User.objects.normalize_email((fields.get("email") or "").strip())
    try:
        return SignupOutcome(email=email, user=user_signup(**fields).user)
    except EmailTaken:
        signup_on_taken_email(email=email)
        return SignupOutcome(email=email, user=None)


def password_reset_allowed(*, email, client_ip):
    """Rate limit for reset emails (THROTTLE_RATES["password_reset"], PASSWORD_RESET_RATE), per
    address and per client IP (core.client_ip: behind the proxy, each creator's own), so the
    form cannot be used to flood an inbox. The address counts by its skeleton (accounts.emails):
    every spelling and look-alike of one address shares its limit."""
    by_email = throttle_hit("password_reset", f"email:{email_skeleton(email)}")
    by_ip = throttle_hit("password_reset", f"ip:{client_ip}")
    return not (by_email or by_ip)


def api_token_issue(*, user):
    """The creator's API token: the existing one, or a new one when there is none or it is
    older than API_TOKEN_MAX_AGE (the old one is deleted)."""
    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        Token.objects.filter(pk=token.pk).delete()
        token = None
    if token is None:
        token, _ = Token.objects.get_or_create(user=user)
    return token.key


def api_token_revoke(*, user):
    """Delete the creator's API token (logout): requests with it answer 401 from now on."""
    Token.objects.filter(user=user).delete()


def password_reset_request(*, email):
    """Email a reset link if an active account has this email. Says nothing either way
    (no account enumeration)."""
    user = user_by_email(email=email)
    if user is not None and user.has_usable_password():
        email_enqueue(jobs.send_password_reset_email, user.pk, uuid.uuid4().hex)


# profile_update's "leave it as it is" for reminder_at, where None means "off".
UNCHANGED = object()
REMINDER_STEP_MINUTES = 15


def _check_reminder_at(value, errors):
    if value is not None and (
        not isinstance(value, datetime.time) or value.tzinfo is not None
        or value.second or value.microsecond or value.minute % REMINDER_STEP_MINUTES
    ):
        errors["reminder_at"] = [f"A local time in {REMINDER_STEP_MINUTES}-minute steps (e.g. 09:15), or empty for off."]


@durable_service("accounts.profile_update")
def profile_update(*, user, niche=None, timezone=None, display_name=None, milestone_emails=None,
                   reminder_emails=None, news_emails=None, reminder_at=UNCHANGED, streak_nudge=None):
    """Change the editable parts of a creator's profile (one row). None means unchanged, except
    for `reminder_at`, where None turns the daily reminder off. When the time zone or a reminder
    preference changed, `reminder_inputs_changed` is sent inside this transaction (the reminders
    app reschedules in it)."""
    profile = user.profile
    errors = {}
    changes = {}
    if niche is not None:
        _check_niche(profile.platform, niche, errors)
        changes["niche"] = niche
    if timezone is not None:
        _check_timezone(timezone, errors)
        changes["timezone"] = timezone
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name:
            errors["display_name"] = ["Must not be empty."]
        _check_display_name(display_name, errors)
        changes["display_name"] = display_name
    preferences = {"milestone_emails": milestone_emails, "reminder_emails": reminder_emails, "news_emails": news_emails}
    changes.update({field: bool(value) for field, value in preferences.items() if value is not None})
    if reminder_at is not UNCHANGED:
        _check_reminder_at(reminder_at, errors)
        changes["reminder_at"] = reminder_at
    if streak_nudge is not None:
        changes["streak_nudge"] = bool(streak_nudge)
    InvalidInput.raise_if_any(errors)
    moved = {field for field in ("timezone", "reminder_at", "streak_nudge") if field in changes
             and changes[field] != getattr(profile, field)}
    if changes:
        CreatorProfile.objects.filter(pk=profile.pk).update(**changes)
        for field, value in changes.items():
            setattr(profile, field, value)
    if moved:
        reminder_inputs_changed.send(sender=CreatorProfile, user=user, profile=profile, fields=moved)
    return profile


def stats_lock(*, user_id, following=None):
    """Lock the creator's stats row (first in core.locks.LOCK_ORDER) and return it re-read
    under the lock. With `following` (a platform): only if the creator follows that platform's
    roadmap, else None and nothing is locked; the check rides on the lock's query. Call inside
    a transaction, before any other lock."""
    if following is None:
        return stats_qs_select_for_update().get(user_id=user_id)
    return stats_lock_following(user_id=user_id, platform=following)


@dataclasses.dataclass(frozen=True)
class StatsTally:
    """What a creator's completions add up to: the CreatorStats columns, without the row."""

    points: int = 0
    tasks_completed: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    last_active_on: datetime.date | None = None


class StreakStep(enum.Enum):
    SAME_DAY = "same_day"  # unchanged
    NEXT_DAY = "next_day"  # +1
    RESTART = "restart"  # the first day, or after a gap: 1


def streak_step(*, last_active_on, local_date):
    """How a completion on `local_date` moves a streak last active on `last_active_on`. Pure: the
    hot path (stats_record_completion) and the replay of completions (ops.replay) share it."""
    # A last-active date after today happens when the creator moves west across time zones:
    # treat it as the same day rather than break the streak.
    if last_active_on is not None and local_date <= last_active_on:
        return StreakStep.SAME_DAY
    if last_active_on == local_date - datetime.timedelta(days=1):
        return StreakStep.NEXT_DAY
    return StreakStep.RESTART


def stats_after(stats, *, points, local_date):
    """The stats (a CreatorStats or a StatsTally) after one more completion worth `points` on
    `local_date`, as a StatsTally: points and count added, the streak moved by streak_step,
    longest = max(longest, streak), last active = the completion's date unless earlier. Pure."""
    step = streak_step(last_active_on=stats.last_active_on, local_date=local_date)
    current, longest, last = stats.current_streak, stats.longest_streak, stats.last_active_on
    if step is not StreakStep.SAME_DAY:
        current = current + 1 if step is StreakStep.NEXT_DAY else 1
        longest, last = max(longest, current), local_date
    return StatsTally(
        points=stats.points + points,
        tasks_completed=stats.tasks_completed + 1,
        current_streak=current,
        longest_streak=longest,
        last_active_on=last,
    )


def _stats_completion_update(step):
    """The UPDATE of stats_record_completion for one streak step: parameters (points, [the
    local date,] user id)."""

    def build(alias):
        stats = Table(CreatorStats, alias)
        points, count, current, longest, last = (
            stats.column(name, qualified=False)
            for name in ("points", "tasks_completed", "current_streak", "longest_streak", "last_active_on")
        )
        sets, fields = [f"{points} = {points} + %s", f"{count} = {count} + 1"], [(stats, "points")]
        if step is not StreakStep.SAME_DAY:
            streak = f"{current} + 1" if step is StreakStep.NEXT_DAY else "1"
            sets += [f"{current} = {streak}", f"{longest} = CASE WHEN {longest} < {streak} THEN {streak} ELSE {longest} END",
                     f"{last} = %s"]
            fields.append((stats, "last_active_on"))
        where = stats.column("user", qualified=False)
        return f"UPDATE {stats.name} SET {', '.join(sets)} WHERE {where} = %s", [*fields, (stats, "user")]

    return build


# Hand-written SQL (core.rawsql): every completion makes this UPDATE, and the ORM's compiling of
# its F() expressions cost several times the statement's own CPU.
_STATS_COMPLETION_UPDATES = {step: Write(CreatorStats, _stats_completion_update(step)) for step in StreakStep}


def stats_record_completion(*, locked_stats, points, local_date):
    """Add a completion to the stats (the rule: stats_after): points and count added in SQL, as
    F() would, the streak case (streak_step) decided from the locked row, in one UPDATE. Returns
    the stats after the change.

    Call inside a transaction while holding the stats lock: `locked_stats` is the row that
    stats_lock re-read under it, so the streak case decided from it cannot change before the
    UPDATE (lock, re-read, decide, write). For the same reason the returned values are derived
    from `locked_stats` instead of re-read: every writer of stats holds this lock, so they are
    exactly what the UPDATE stored, and the completion saves a query."""
    step = streak_step(last_active_on=locked_stats.last_active_on, local_date=local_date)
    dated = [] if step is StreakStep.SAME_DAY else [local_date]
    _STATS_COMPLETION_UPDATES[step].execute([points, *dated, locked_stats.user_id])
    after = stats_after(locked_stats, points=points, local_date=local_date)
    return CreatorStats(user_id=locked_stats.user_id, **dataclasses.asdict(after))


def stats_set(*, locked_stats, tally):
    """Repair: set every stats column to what the replay of the creator's completions derived
    (a StatsTally; audit_integrity --fix). Call inside a transaction while holding the stats lock."""
    CreatorStats.objects.filter(user_id=locked_stats.user_id).update(**dataclasses.asdict(tally))


def enrollment_move_to(*, user, platform, phase, week):
    """Move the creator's enrollment in a platform's roadmap forward to (phase, week); never
    backwards (one conditional UPDATE, no read). Call inside a transaction."""
    moved = (
        Enrollment.objects.filter(user=user, platform=platform)
        .filter(Q(current_phase__lt=phase) | Q(current_phase=phase, current_week__lt=week))
        .update(current_phase=phase, current_week=week)
    )
    return bool(moved)


def stats_ensure(*, user_id):
    """Repair: give an account the zero stats row signup writes, if it has none (INSERT … ON
    CONFLICT DO NOTHING); the repair then re-derives it from the completions. Call inside a
    transaction, before stats_lock."""
    CreatorStats.objects.bulk_create([CreatorStats(user_id=user_id)], ignore_conflicts=True)


def enrollment_create(*, user, platform, started_on):
    """Follow another platform's roadmap from `started_on` (day 1, the creator's local date).
    The unique (user, platform) constraint is the last word: a duplicate raises IntegrityError
    (the caller's transaction rolls back and it re-reads). Call inside a transaction, after
    checking under the stats lock that the creator does not follow it yet."""
    errors = {}
    check_platform(platform, errors)
    InvalidInput.raise_if_any(errors)
    return Enrollment.objects.create(user=user, platform=platform, started_on=started_on)


def enrollment_delete(*, user, platform):
    """Stop following a platform's roadmap. The main platform (chosen at signup, the profile's)
    is never deleted. Returns whether an enrollment was deleted (False: none, or the main one);
    a racing second call deletes nothing. Call inside a transaction."""
    deleted, _ = (
        Enrollment.objects.filter(user=user, platform=platform).exclude(platform=user.profile.platform).delete()
    )
    return bool(deleted)
