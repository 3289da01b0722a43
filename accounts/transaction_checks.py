"""How `manage.py check_transactions` exercises accounts' durable services."""

import uuid

from accounts import account_services, services
from accounts.tokens import email_change_revert_token_make, verification_token_make
from core.transaction_checks import scenario

# The password confirmation counts an attempt in the throttle before the transaction, on purpose (a
# refused or rolled-back attempt still counts): with the database cache that is a row of this table.
THROTTLE_CACHE_TABLE = "creatorcompass_cache"

CHECK_PASSWORD = "check-transactions-passphrase"


def check_creator(platform="youtube"):
    """A throwaway creator for a scenario (the whole check is rolled back)."""
    return services.user_signup(
        email=f"check-{uuid.uuid4().hex[:12]}@check.invalid", password=CHECK_PASSWORD, platform=platform
    ).user


@scenario("accounts.user_signup", reaches=(
    "accounts_user", "accounts_creatorprofile", "accounts_creatorstats", "accounts_enrollment", "authtoken_token",
    "job:send_verification_email",
))
def signup():
    email = f"check-{uuid.uuid4().hex[:12]}@check.invalid"
    return lambda: services.user_signup(email=email, password=CHECK_PASSWORD, platform="tiktok", issue_api_token=True)


@scenario("accounts.email_verify", reaches=("accounts_user.email_verified_at", "job:send_welcome_email"))
def verify():
    token = verification_token_make(check_creator())
    return lambda: services.email_verify(token=token)


@scenario("core.job_retry", reaches=("core_jobretry", "job:send_welcome_email"))
def job_retry():
    """Retrying a failed email job (core's sweeper; accounts owns the email jobs)."""
    from django_tasks_db.models import DBTaskResult

    from accounts.jobs import send_welcome_email
    from core.job_retries import job_retry as retry

    result = send_welcome_email.enqueue(check_creator().pk)
    DBTaskResult.objects.filter(pk=result.id).update(status="FAILED")
    job = DBTaskResult.objects.get(pk=result.id)
    return lambda: retry(job=job)


@scenario("accounts.profile_update", reaches=("accounts_creatorprofile.timezone", "reminders_reminderschedule"))
def profile_update():
    """A time zone and a reminder time: the reminders app reschedules in the same transaction."""
    import datetime

    user = check_creator()
    return lambda: services.profile_update(user=user, timezone="Asia/Tokyo", reminder_at=datetime.time(9, 0))
def _signed_in_elsewhere(creator):
    """An API token and another browser session of `creator`: what the account's services end."""
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from accounts.account_services import session_record

    session = SessionStore()
    session.create()
    session_record(user_id=creator.pk, session_key=session.session_key)
    Token.objects.create(user=creator)
    return creator


@scenario("accounts.email_change", reaches=(
    "accounts_user.email_canonical", "accounts_user.email_verified_at", "authtoken_token", "accounts_signedinsession",
    "job:send_verification_email", "job:send_email_changed_notice", "job:stripe_customer_email_sync"),
    outside=(THROTTLE_CACHE_TABLE,))
def email_change():
    # A verified creator: the swap must reset the verification (a swap keeping it would be unreached).
    creator = _signed_in_elsewhere(check_creator())
    services.email_verify(token=verification_token_make(creator))
    creator.refresh_from_db()
    new_email = f"check-{uuid.uuid4().hex[:12]}@check.invalid"
    return lambda: account_services.email_change(user=creator, new_email=new_email, password=CHECK_PASSWORD)


@scenario("accounts.email_change_revert", reaches=(
    "accounts_user.email_canonical", "authtoken_token", "job:send_password_reset_email"))
def email_change_revert():
    creator = check_creator()
    old_email = creator.email
    account_services.email_change(user=creator, new_email=f"check-{uuid.uuid4().hex[:12]}@check.invalid",
                                  password=CHECK_PASSWORD)
    _signed_in_elsewhere(creator)
    token = email_change_revert_token_make(user_id=creator.pk, old_email=old_email, new_email=creator.email)
    return lambda: account_services.email_change_revert(token=token)


@scenario("accounts.password_change", reaches=(
    "accounts_user.password", "authtoken_token", "accounts_signedinsession", "job:send_password_changed_email"),
    outside=(THROTTLE_CACHE_TABLE,))
def password_change():
    creator = _signed_in_elsewhere(check_creator())
    return lambda: account_services.password_change(user=creator, current_password=CHECK_PASSWORD,
                                                    new_password="another-check-passphrase")


@scenario("accounts.sessions_sign_out_everywhere", reaches=("authtoken_token", "accounts_signedinsession"))
def sign_out_everywhere():
    creator = _signed_in_elsewhere(check_creator())
    return lambda: account_services.sessions_sign_out_everywhere(user=creator)
