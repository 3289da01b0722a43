from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from djstripe.models import WebhookEventTrigger


class PlanCode(models.TextChoices):
    FREE = "free", "Creator"
    PRO = "pro", "Pro Creator"
    STUDIO = "studio", "Creator Studio"


class Plan(models.Model):
    """The plan catalogue (loaded by `manage.py load_content`). One vocabulary everywhere:
    free, pro, studio. Stripe price ids come from the environment (`STRIPE_PRICE_*`); what a plan
    grants is billing.plan_rules, its metered limits usage.catalog."""

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

    @property
    def monthly_price(self):
        return f"{self.monthly_price_cents / 100:.2f}"

    @property
    def yearly_price(self):
        return f"{self.yearly_price_cents / 100:.2f}"

    @property
    def yearly_price_per_month(self):
        return f"{self.yearly_price_cents / 1200:.2f}"


class EntitlementStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TRIALING = "trialing", "Trialing"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    INCOMPLETE = "incomplete", "Incomplete"
    UNPAID = "unpaid", "Unpaid"


class EntitlementQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Every write moves `updated_at`, a QuerySet.update() too (auto_now only moves on save()):
        the audit reads it as "the plan may have changed since" (ops.audit.counters_over_limit),
        and the webhooks write with update()."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class Entitlement(models.Model):
    """The creator's current plan. No row means free. Written by Stripe's webhooks
    (billing.services.stripe_sync) and the admin grant (billing.services.grants); read through
    `billing.selectors.plan_for`, whose rules are billing.plan_rules."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlement")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=EntitlementStatus.choices, default=EntitlementStatus.ACTIVE)
    current_period_end = models.DateTimeField(null=True, blank=True, help_text="Empty: no end (granted).")
    source = models.CharField(max_length=16, default="admin", help_text="admin or stripe")
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    paid_through = models.DateTimeField(
        null=True, blank=True, help_text="End of the last period the creator paid for (from Payments): past_due keeps access until then."
    )
    stripe_event_created = models.DateTimeField(
        null=True, blank=True, help_text="Creation time of the newest Stripe event applied: older ones are ignored."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EntitlementStatus.values), name="billing_entitlement_status_valid"
            )
        ]

    def __str__(self):
        return f"{self.user_id}: {self.plan_id} ({self.status})"


class Payment(models.Model):
    """A paid Stripe invoice. Unique per invoice, so a redelivered invoice.paid records nothing."""

    # PROTECT: a creator is deleted only by accounts' deletion service, which first moves their
    # payments to their tombstone (kept for tax, nothing personal); the admin's delete refuses.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    tombstone = models.ForeignKey(
        "accounts.AccountTombstone", on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=64, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    period_end = models.DateTimeField(null=True, blank=True, help_text="End of the period this invoice paid for.")
    hosted_invoice_url = models.URLField(max_length=2048, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, tombstone__isnull=True) | Q(user__isnull=True, tombstone__isnull=False),
                name="billing_payment_user_xor_tombstone",
            )
        ]

    def __str__(self):
        return f"{self.stripe_invoice_id} {self.amount_cents / 100:.2f} {self.currency.upper()}"

    @property
    def amount(self):
        return self.amount_cents / 100


class FailedWebhookDelivery(WebhookEventTrigger):
    """Stripe deliveries that failed validation or processing, for ops (a view on dj-stripe's
    WebhookEventTrigger rows; Stripe redelivers failed events, and ops can reprocess)."""

    class Meta:
        proxy = True
        verbose_name = "failed webhook delivery"
        verbose_name_plural = "failed webhook deliveries"
