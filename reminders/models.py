"""Reminder emails: when each is next due (ReminderSchedule) and which were queued (ReminderClaim).
The preferences (the local time, the nudge on or off) live on accounts' CreatorProfile."""

from django.conf import settings
from django.db import models


class ReminderKind(models.TextChoices):
    DAILY = "daily", "Daily reminder"
    STREAK = "streak", "Streak at risk"


class ReminderSchedule(models.Model):
    """The next reminder of one kind for one creator: the local date it is for and the UTC
    instant it is due, computed from the local time and the zone stored beside them. The due
    sweep reads the index on `due_at`, never every creator."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_schedules")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    local_time = models.TimeField()
    zone = models.CharField(max_length=64)
    due_on = models.DateField(help_text="The creator's local date this reminder is for.")
    due_at = models.DateTimeField(help_text="When it is due (UTC).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reminders_schedule_one_per_kind")]
        indexes = [models.Index(fields=["due_at", "id"], name="reminders_schedule_due")]

    def __str__(self):
        return f"{self.kind} for {self.user_id} on {self.due_on}"


class ReminderClaim(models.Model):
    """A reminder queued for a creator's local date: at most one per (creator, kind, date). Written
    in the transaction that queues its email job (the outbox), so a claim without its job, or a
    job without its claim, never commits."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_claims")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    local_date = models.DateField()
    due_at = models.DateTimeField()
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "local_date"], name="reminders_claim_once_per_day"),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id} on {self.local_date}"
