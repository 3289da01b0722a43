"""How `manage.py check_transactions` exercises accounts' durable services."""

import uuid

from accounts import services
from accounts.tokens import verification_token_make
from core.transaction_checks import scenario

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
