from django.conf import settings
from django.db import models
from django.db.models import F, Q


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
    (`usage.services`). The period is fixed when it opens: `starts_at` and `resets_at` are the
    instants it starts and ends (the creator's local midnights then; empty end for lifetime),
    and the counter of an instant is the row whose [starts_at, resets_at) contains it, whatever
    the creator's time zone is now. `period_start` is the first local date of the period in the
    time zone it opened in (a fixed date for lifetime features), for people reading the rows.
    Periods of a creator's feature never overlap (audit: counter_periods_do_not_overlap).
    `manage.py reset_usage` sets `closed_at` once a period has ended."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_counters")
    feature = models.CharField(max_length=16, choices=Feature.choices)
    period_start = models.DateField()
    starts_at = models.DateTimeField(help_text="The instant the period starts.")
    resets_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never resets (lifetime).")
    used = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set by reset_usage after the period ended.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "feature", "starts_at"], name=COUNTER_UNIQUE_CONSTRAINT),
            models.CheckConstraint(
                condition=Q(resets_at__isnull=True) | Q(resets_at__gt=F("starts_at")), name="usage_counter_period_not_empty"
            ),
            models.CheckConstraint(condition=Q(used__gte=0), name="usage_counter_used_not_negative"),
            models.CheckConstraint(condition=Q(feature__in=Feature.values), name="usage_counter_feature_valid"),
        ]
        indexes = [
            # reset_usage looks for open periods that have ended.
            models.Index(fields=["resets_at"], condition=Q(closed_at__isnull=True), name="usage_counter_open_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.feature} {self.period_start}: {self.used}"


def counter_open_at(now):
    """The counters whose stored period contains the instant `now` (a lifetime one always does)."""
    return Q(starts_at__lte=now) & (Q(resets_at__isnull=True) | Q(resets_at__gt=now))
