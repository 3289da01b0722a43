import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.catalog import Platform, is_timezone
from accounts.emails import email_canonical, email_skeleton

# An address is taken when another account has its canonical form or its look-alike skeleton
# (accounts.emails): both are unique columns, so the database has the last word in a race.
EMAIL_UNIQUE_CONSTRAINTS = ("accounts_user_email_canonical_unique", "accounts_user_email_skeleton_unique")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # One account per canonical address (a unique column): never MultipleObjectsReturned.
        return self.get(email_canonical=email_canonical(email))

    def _create(self, email, password, **fields):
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254)
    # Derived from `email` by save() (accounts.emails); a queryset .update() of email must set
    # them too. Lookups by address use email_canonical, look-alike checks email_skeleton.
    email_canonical = models.CharField(max_length=254, editable=False)
    email_skeleton = models.CharField(max_length=254, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            # One account per address and per look-alike: the database's job, not a Python check.
            models.UniqueConstraint(fields=["email_canonical"], name=EMAIL_UNIQUE_CONSTRAINTS[0]),
            models.UniqueConstraint(fields=["email_skeleton"], name=EMAIL_UNIQUE_CONSTRAINTS[1]),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        # set_password() was called (a change, a reset, the admin, changepassword): API tokens
        # made with the old password stop working. A hash upgrade at login clears _password
        # before its save, so it keeps them.
        password_changed = self._password is not None and self.pk is not None
        self.email_canonical_set()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields:
            kwargs["update_fields"] = {*update_fields, "email_canonical", "email_skeleton"}
        super().save(*args, **kwargs)
        if password_changed:
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user_id=self.pk).delete()

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._loaded_email = user.__dict__.get("email")
        return user

    def email_canonical_set(self):
        """Derive the canonical address and its skeleton from `email` when it is new or changed
        (a row marked as a collision by the migration keeps its marker until then)."""
        if self.email_canonical and self.email == getattr(self, "_loaded_email", None):
            return
        self.email_canonical, self.email_skeleton = email_canonical(self.email), email_skeleton(self.email)
        self._loaded_email = self.email

    @property
    def is_verified(self):
        return self.email_verified_at is not None


def _validate_timezone(value):
    if not is_timezone(value):
        raise ValidationError(f"{value!r} is not an IANA time zone.")


class CreatorProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    niche = models.CharField(max_length=32)
    timezone = models.CharField(max_length=64, default="UTC", validators=[_validate_timezone])
    display_name = models.CharField(max_length=60)
    milestone_emails = models.BooleanField(
        default=True, help_text="Email the creator when they unlock a milestone."
    )
    # Reminder preferences (the reminders app schedules them; accounts only stores them, so the
    # calendar export and the API read them without importing reminders).
    reminder_at = models.TimeField(
        null=True, blank=True, help_text="Local time of the daily reminder (15-minute steps); empty: off."
    )
    streak_nudge = models.BooleanField(
        default=True, help_text="Email the streak-at-risk nudge in the local evening (needs a reminder time too)."
    )
    reminder_emails = models.BooleanField(default=True, help_text="Remind the creator to keep their streak.")
    news_emails = models.BooleanField(default=False, help_text="Product news (opt-in).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values), name="accounts_profile_platform_valid"
            ),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.get_platform_display()})"

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)


class CreatorStats(models.Model):
    """Counters derived from completions. Change only through accounts' services, with F().
    `current_streak` is the run of consecutive local days ending on `last_active_on` (what the
    completions add up to, whatever day it is now); what a creator reads as their current streak
    is derived from it and their local today by accounts.streaks, never written back."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    points = models.PositiveIntegerField(default=0)
    tasks_completed = models.PositiveIntegerField(default=0)
    current_streak = models.PositiveIntegerField(default=0)
    longest_streak = models.PositiveIntegerField(default=0)
    last_active_on = models.DateField(
        null=True, blank=True, help_text="Last day with a completion, in the creator's timezone."
    )

    class Meta:
        verbose_name_plural = "creator stats"
        constraints = [
            models.CheckConstraint(
                condition=Q(longest_streak__gte=F("current_streak")),
                name="accounts_stats_longest_ge_current",
            ),
        ]

    def __str__(self):
        return f"stats of {self.user_id}"


class Enrollment(models.Model):
    """A platform roadmap the creator follows. Day 1 is `started_on`, a date in the creator's
    timezone; phase and week advance as the creator completes the roadmap."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrollments")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    started_on = models.DateField()
    current_phase = models.PositiveSmallIntegerField(default=1)
    current_week = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="accounts_enrollment_unique"),
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values), name="accounts_enrollment_platform_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.platform}"


class AccountTombstone(models.Model):
    """What is left of a deleted creator: nothing personal. The payments the law makes us keep
    (tax records) point here instead of at the user; `deleted_at` starts their retention period
    (accounts.services.deletion.PAYMENT_RETENTION_YEARS)."""

    deleted_at = models.DateTimeField(default=timezone.now)
    former_user_id = models.PositiveBigIntegerField(
        unique=True, help_text="The deleted user's id: a webhook naming it changes nothing."
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)

    def __str__(self):
        return f"deleted account #{self.pk}"


class SignedInSession(models.Model):
    """A browser session a creator signed in with (recorded at login): what "sign out other
    sessions" and the account deletion delete, without decoding every session row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"session of {self.user_id}"


class DataExport(models.Model):
    """A creator's data export (GDPR art. 20): asked for, built by a job (ops.export), downloaded
    by its owner through an unguessable link until `expires_at`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    token = models.CharField(max_length=64, unique=True)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    archive = models.BinaryField(null=True, blank=True, help_text="The ZIP (JSON and CSVs).")

    def __str__(self):
        return f"export {self.pk} of {self.user_id}"
