from django.conf import settings
from django.db import models
from django.db.models import Q


class PlanCode(models.TextChoices):
    FREE = "free", "Creator"
    PRO = "pro", "Pro Creator"
    STUDIO = "studio", "Creator Studio"


class Plan(models.Model):
    """The plan catalogue (loaded by `manage.py load_content`). One vocabulary everywhere:
    free, pro, studio. Stripe price ids arrive with billing (they come from the environment)."""

    code = models.CharField(max_length=16, primary_key=True, choices=PlanCode.choices)
    name = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Higher is more.")
    roadmap_days = models.PositiveSmallIntegerField()
    monthly_price_cents = models.PositiveIntegerField(default=0)
    yearly_price_cents = models.PositiveIntegerField(default=0, help_text="Billed once a year.")
    tagline = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self):
        return self.name

    @property
    def is_paid(self):
        return self.code != PlanCode.FREE


class EntitlementStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TRIALING = "trialing", "Trialing"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE = "incomplete", "Incomplete"
    UNPAID = "unpaid", "Unpaid"


class Entitlement(models.Model):
    """The creator's current plan. No row means free. Written by the admin grant action now and
    by Stripe webhooks later; read through `billing.selectors.plan_for`."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlement")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=EntitlementStatus.choices, default=EntitlementStatus.ACTIVE)
    current_period_end = models.DateTimeField(null=True, blank=True, help_text="Empty: no end (granted).")
    source = models.CharField(max_length=16, default="admin", help_text="admin or stripe")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EntitlementStatus.values), name="billing_entitlement_status_valid"
            )
        ]

    def __str__(self):
        return f"{self.user_id}: {self.plan_id} ({self.status})"
