from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.catalog import Platform

PHASE_DAYS = 30
ROADMAP_DAYS = 90
PHASES = {1: "Foundation", 2: "Growth", 3: "Scale"}


def phase_and_week(day):
    """Day 1..90 -> (phase 1..3, week 1..4). Weeks are 7 days; the last two days of a 30-day
    phase belong to its week 4."""
    day_in_phase = (day - 1) % PHASE_DAYS
    return (day - 1) // PHASE_DAYS + 1, min(day_in_phase // 7 + 1, 4)


class Category(models.TextChoices):
    STRATEGY = "strategy", "Strategy"
    SETUP = "setup", "Setup"
    CREATE = "create", "Create"
    OPTIMIZE = "optimize", "Optimize"
    ENGAGE = "engage", "Engage"
    ANALYZE = "analyze", "Analyze"
    LEARN = "learn", "Learn"


class RoadmapTask(models.Model):
    """One task of a platform's 90-day roadmap. Content is data in the repo
    (tasks/content/*.yaml), upserted by `code` with `manage.py load_content`."""

    code = models.SlugField(max_length=80, unique=True)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    day = models.PositiveSmallIntegerField()
    order = models.PositiveSmallIntegerField(default=1)
    phase = models.PositiveSmallIntegerField()
    week = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=16, choices=Category.choices)
    minutes = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField(help_text="What to do.")
    why = models.TextField()
    success = models.TextField(help_text="How to know it worked.")
    is_active = models.BooleanField(
        default=True, help_text="False: removed from the content but kept because someone completed it."
    )

    class Meta:
        ordering = ["platform", "day", "order"]
        indexes = [models.Index(fields=["platform", "day", "order"])]
        constraints = [
            models.CheckConstraint(condition=Q(day__gte=1, day__lte=ROADMAP_DAYS), name="tasks_task_day_range"),
            models.CheckConstraint(condition=Q(platform__in=Platform.values), name="tasks_task_platform_valid"),
        ]

    def __str__(self):
        return f"{self.platform} day {self.day}: {self.title}"


class TaskCompletion(models.Model):
    """A creator completed a task: once (the unique constraint makes a repeat a no-op)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="completions")
    task = models.ForeignKey(RoadmapTask, on_delete=models.PROTECT, related_name="completions")
    quality = models.PositiveSmallIntegerField(default=3)
    notes = models.TextField(blank=True)
    points = models.PositiveSmallIntegerField()
    completed_at = models.DateTimeField()
    local_date = models.DateField(help_text="The creator's calendar date when they completed it.")
    # What the completion did, under the catalogue of its moment (docs/content-and-audit.md): the
    # week it moved its roadmap to, and whether it finished the task's phase. Facts like the
    # completion itself: a later content edit changes neither, so the replay and the audit judge
    # the past by them, not by today's catalogue.
    moved_to_phase = models.PositiveSmallIntegerField(null=True, blank=True)
    moved_to_week = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_phase = models.BooleanField(default=False)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "task"], name="tasks_completion_once"),
            models.CheckConstraint(condition=Q(quality__gte=1, quality__lte=5), name="tasks_completion_quality_range"),
            models.CheckConstraint(
                condition=Q(moved_to_phase__isnull=True, moved_to_week__isnull=True)
                | Q(moved_to_phase__isnull=False, moved_to_week__isnull=False),
                name="tasks_completion_moved_to_whole",
            ),
        ]
        indexes = [models.Index(fields=["user", "local_date"])]

    def __str__(self):
        return f"{self.user_id} completed {self.task_id}"


class ContentIdea(models.Model):
    """A content idea a creator saved, optionally attached to a roadmap task. Saving one is
    metered (usage feature `ideas`); editing and deleting are not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_ideas")
    task = models.ForeignKey(RoadmapTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="ideas")
    title = models.CharField(max_length=120)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="tasks_idea_user_recent")]
        constraints = [models.CheckConstraint(condition=~Q(title=""), name="tasks_idea_title_not_blank")]

    def __str__(self):
        return self.title
