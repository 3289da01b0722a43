from django.conf import settings
from django.db import models
from django.db.models import Q


class Feature(models.TextChoices):
    """What is metered. The actions behind them (following a platform, exporting, saving an
    idea) belong to tasks; usage only counts units against the plan's limits."""

    PLATFORMS = "platforms", "Platforms"
    EXPORTS = "exports", "Exports"
    IDEAS = "ideas", "Ideas"


COUNTER_UNIQUE_CONSTRAINT = "usage_counter_one_per_period"


class UsageCounter(models.Model):
    """Units of a feature a creator used in one period. One row per (creator, feature, period),
    created on the first consume of the period; `used` changes only with one conditional UPDATE
    (`usage.services`). `period_start` is the first local date of the period in the creator's
    time zone (a fixed date for lifetime features); `resets_at` is the instant the period ends
    (empty for lifetime). `manage.py reset_usage` sets `closed_at` once a period has ended."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_counters")
    feature = models.CharField(max_length=16, choices=Feature.choices)
    period_start = models.DateField()
    resets_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never resets (lifetime).")
    used = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set by reset_usage after the period ended.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "feature", "period_start"], name=COUNTER_UNIQUE_CONSTRAINT),
            models.CheckConstraint(condition=Q(used__gte=0), name="usage_counter_used_not_negative"),
            models.CheckConstraint(condition=Q(feature__in=Feature.values), name="usage_counter_feature_valid"),
        ]
        indexes = [
            # reset_usage looks for open periods that have ended.
            models.Index(fields=["resets_at"], condition=Q(closed_at__isnull=True), name="usage_counter_open_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.feature} {self.period_start}: {self.used}"
