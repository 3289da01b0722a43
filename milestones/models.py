import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.catalog import Platform


class MilestoneKind(models.TextChoices):
    TASKS_COMPLETED = "tasks_completed", "Tasks completed"
    STREAK_DAYS = "streak_days", "Streak days"
    PHASE_COMPLETED = "phase_completed", "Phase completed"
    POINTS = "points", "Points"


class Milestone(models.Model):
    """A threshold worth celebrating (catalogue loaded by `manage.py load_content`).
    An empty platform means every platform."""

    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=MilestoneKind.choices)
    threshold = models.PositiveIntegerField()
    platform = models.CharField(max_length=16, choices=Platform.choices, blank=True)
    title = models.CharField(max_length=80)
    message = models.CharField(max_length=240, help_text="Shown in the celebration.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "threshold", "platform"], name="milestones_milestone_unique_threshold"),
        ]

    def __str__(self):
        return self.title

    @property
    def goal(self):
        """What it takes, in words."""
        n = self.threshold
        return {
            MilestoneKind.TASKS_COMPLETED: f"Complete {n} task{'s' if n != 1 else ''}",
            MilestoneKind.STREAK_DAYS: f"Keep a {n}-day streak",
            MilestoneKind.PHASE_COMPLETED: f"Finish phase {n}",
            MilestoneKind.POINTS: f"Earn {n} points",
        }[self.kind]


# The order milestones are shown in: the journey, not the alphabet.
KIND_ORDER = [MilestoneKind.TASKS_COMPLETED, MilestoneKind.STREAK_DAYS, MilestoneKind.PHASE_COMPLETED, MilestoneKind.POINTS]


def share_token_new():
    return secrets.token_urlsafe(24)


class MilestoneAchievement(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievements")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="achievements")
    achieved_at = models.DateTimeField()
    share_token = models.CharField(max_length=40, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-achieved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "milestone"], name="milestones_achievement_once"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.milestone_id}"


class Celebration(models.Model):
    """Shown to the creator once: `seen_at` is set by one conditional UPDATE."""

    achievement = models.OneToOneField(MilestoneAchievement, on_delete=models.CASCADE, related_name="celebration")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="celebrations")
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user"], condition=Q(seen_at__isnull=True), name="milestones_celebration_pending")]

    def __str__(self):
        return f"celebration {self.pk} ({'seen' if self.seen_at else 'pending'})"
