"""Accounts' writes for the creator's own account after signup: email preferences and the
one-click unsubscribe, the email change (and its "this wasn't me" revert), the password change
and signing out everywhere. Each multi-row change is one durable service whose emails are jobs
in its outbox; nothing here calls the network."""

import secrets
import uuid

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import jobs
from accounts.catalog import EMAIL_KIND_FIELDS
from accounts.models import EMAIL_UNIQUE_CONSTRAINTS, AccountTombstone, CreatorProfile, DataExport, SignedInSession, User
from accounts.emails import email_canonical, email_skeleton
from accounts.selectors import email_confusable_taken, user_by_email
from accounts.signals import email_changed
from accounts.tokens import email_change_revert_token_read
from accounts.unsubscribe import unsubscribe_token_read
from core.email import email_enqueue, sent_email_forget
from core.errors import EmailTaken, InvalidInput, NotFound, Throttled
from core.throttle import throttle_hit
from core.transactions import durable_service


def email_unsubscribe(*, token):
    """Turn off the email kind a signed unsubscribe token names, in one UPDATE (no login: the
    signature is the proof). Returns the EmailKind. A repeat changes nothing and succeeds."""
    try:
        user_id, kind = unsubscribe_token_read(token)
    except (signing.BadSignature, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("This unsubscribe link is not valid.") from exc
    CreatorProfile.objects.filter(user_id=user_id).update(**{EMAIL_KIND_FIELDS[kind]: False})
    return kind


def password_confirm(*, user, password):
    """Refuse (InvalidInput on `password`) unless `password` is the creator's current one.
    Throttled per account (THROTTLE_RATES["password_confirm"]) like the login: each try costs
    a password hash and guesses it."""
    if throttle_hit("password_confirm", f"email:{user.email_canonical}"):
        raise Throttled("Too many password attempts. Please wait and try again.")
    if not user.check_password(password or ""):
        raise InvalidInput(fields={"password": ["This is not your current password."]})


def sessions_revoke(*, user_id, keep_session_key=None):
    """Sign the creator out of every browser session but `keep_session_key` and revoke their
    API tokens. Call inside a transaction."""
    sessions = SignedInSession.objects.filter(user_id=user_id)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    Session.objects.filter(session_key__in=list(sessions.values_list("session_key", flat=True))).delete()
    sessions.delete()
    Token.objects.filter(user_id=user_id).delete()


def session_record(*, user_id, session_key, replacing=None):
    """Remember a session the creator signed in with (the user_logged_in signal), or its new key
    when it was given one (`replacing` the old key: the password changed)."""
    if replacing and SignedInSession.objects.filter(session_key=replacing).update(session_key=session_key):
        return
    SignedInSession.objects.get_or_create(session_key=session_key, defaults={"user_id": user_id})


@durable_service("accounts.sessions_sign_out_everywhere")
def sessions_sign_out_everywhere(*, user, keep_session_key=None):
    """"Sign out everywhere": every other session and every API token of the creator end."""
    sessions_revoke(user_id=user.pk, keep_session_key=keep_session_key)


def email_change_input(*, user, new_email, password, keep_session_key):
    """email_change's checks, before its transaction (the password hash is slow)."""
    new_email = User.objects.normalize_email((new_email or "").strip())
    errors = {}
    try:
        validate_email(new_email)
    except ValidationError as exc:
        errors["new_email"] = list(exc.messages)
    if not errors and email_canonical(new_email) == user.email_canonical:
        errors["new_email"] = ["This is already your email."]
    InvalidInput.raise_if_any(errors)
    password_confirm(user=user, password=password)
    if throttle_hit("email_change", f"email:{user.email_canonical}"):
        raise Throttled("You changed your email several times already: try again later.")
    if email_confusable_taken(email=new_email, exclude_user_id=user.pk):
        raise EmailTaken(fields={"new_email": [EmailTaken.message]})
    return {"user": user, "new_email": new_email, "password": None, "keep_session_key": keep_session_key}


def _email_change_taken(exc, **_):
    """Another account took the address between the check and the UPDATE: 409, nothing changed."""
    if not any(name in str(exc) for name in EMAIL_UNIQUE_CONSTRAINTS):
        raise exc
    raise EmailTaken(fields={"new_email": [EmailTaken.message]}) from exc


@durable_service("accounts.email_change", validate=email_change_input, integrity_error=_email_change_taken)
def email_change(*, user, new_email, password, keep_session_key=None):
    """Swap the creator's address for `new_email` (confirmed with their password): the unique
    case-insensitive index decides a race (EmailTaken, 409, nothing changed); the address is
    unverified again; other sessions and API tokens end; the new address gets a verification
    link and the old one a notice with a "this wasn't me" link, both in this transaction's
    outbox, and so is the job that gives Stripe the new address after the commit (the
    email_changed signal: billing answers it). Returns the old address."""
    old_email = User.objects.values_list("email", flat=True).get(pk=user.pk)
    User.objects.filter(pk=user.pk).update(email=new_email, email_canonical=email_canonical(new_email),
                                           email_skeleton=email_skeleton(new_email), email_verified_at=None)
    sessions_revoke(user_id=user.pk, keep_session_key=keep_session_key)
    nonce = uuid.uuid4().hex
    email_enqueue(jobs.send_verification_email, user.pk, nonce)
    email_enqueue(jobs.send_email_changed_notice, user.pk, old_email, new_email, nonce)
    email_changed.send(sender=User, user_id=user.pk)
    user.email, user.email_verified_at = new_email, None
    user.email_canonical, user.email_skeleton = email_canonical(new_email), email_skeleton(new_email)
    return old_email


@durable_service("accounts.email_change_revert")
def email_change_revert(*, token):
    """"This wasn't me": put the old address back (it is verified: the link reached it), end
    every session and API token, and send a password-reset link to the old address. Works only
    while the account still has the address the notice named. Returns the user."""
    try:
        user_id, old_email, new_email = email_change_revert_token_read(token)
    except signing.SignatureExpired as exc:
        raise InvalidInput("This link has expired. Reset your password from the login page.") from exc
    except signing.BadSignature as exc:
        raise InvalidInput("This link is not valid.") from exc
    user = user_by_email(email=new_email)
    if user is None or user.pk != user_id:
        raise NotFound("This change was already undone, or the account changed again.")
    if email_confusable_taken(email=old_email, exclude_user_id=user_id):
        raise EmailTaken("Your old address belongs to another account now: contact support.")
    User.objects.filter(pk=user_id).update(email=old_email, email_canonical=email_canonical(old_email),
                                           email_skeleton=email_skeleton(old_email), email_verified_at=timezone.now())
    sessions_revoke(user_id=user_id)
    email_enqueue(jobs.send_password_reset_email, user_id, uuid.uuid4().hex)
    email_changed.send(sender=User, user_id=user_id)
    user.email, user.email_canonical, user.email_skeleton = old_email, email_canonical(old_email), email_skeleton(old_email)
    return user


def password_change_input(*, user, current_password, new_password, keep_session_key):
    """password_change's checks and the slow hashes, before its transaction."""
    password_confirm(user=user, password=current_password)
    try:
        password_validation.validate_password(new_password or "", user=user)
    except ValidationError as exc:
        raise InvalidInput(fields={"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    return {"user": user, "current_password": None, "new_password": None, "keep_session_key": keep_session_key}


@durable_service("accounts.password_change", validate=password_change_input)
def password_change(*, user, current_password, new_password, keep_session_key=None):
    """Change the password of a signed-in creator (the current one required): every other
    session and the API tokens end; a notice goes to their address (outbox). Returns a fresh
    API token (the old ones are gone)."""
    User.objects.filter(pk=user.pk).update(password=user.password)
    user._password = None  # stored above; User.save's token cleanup is sessions_revoke's here
    sessions_revoke(user_id=user.pk, keep_session_key=keep_session_key)
    email_enqueue(jobs.send_password_changed_email, user.pk, uuid.uuid4().hex)
    return Token.objects.create(user_id=user.pk).key


def account_tombstone_create(*, user_id, stripe_customer_id=""):
    """The tombstone of a creator being deleted: what the kept payments point to. Unique per
    former user id, so a second deletion of the same account fails (IntegrityError). Call inside
    the deletion's transaction."""
    return AccountTombstone.objects.create(former_user_id=user_id, stripe_customer_id=stripe_customer_id)


def creator_account_erase(*, user_id):
    """Accounts' rows of a creator being deleted, and the traces of their address: sessions and
    API tokens, login-lockout records (django-axes, by address), the address in the sent-email
    log, then the user (its profile, stats, enrollments go with it: CASCADE). Returns the address
    and display name it had, for the confirmation email. Call inside the deletion's transaction,
    after every other app erased its rows (a payment still pointing here would refuse: PROTECT)."""
    user = User.objects.select_related("profile").get(pk=user_id)
    address, name = user.email, user.profile.display_name
    sessions_revoke(user_id=user_id)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=address).delete()
    sent_email_forget(address=address)
    User.objects.filter(pk=user_id).delete()
    return address, name


def data_export_create(*, user_id):
    """A new export of the creator's data, to be built by a job. Call inside a transaction."""
    return DataExport.objects.create(user_id=user_id, token=secrets.token_urlsafe(32))


def data_export_store(*, export_id, archive, expires_at):
    """Keep a built export until `expires_at`. Returns whether its creator still exists (one
    UPDATE). Call inside a transaction."""
    return bool(DataExport.objects.filter(pk=export_id).update(archive=archive, ready_at=timezone.now(),
                                                                expires_at=expires_at))
