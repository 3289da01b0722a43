"""Delete stored Stripe deliveries (dj-stripe's WebhookEventTrigger rows) older than
WEBHOOK_DELIVERY_RETENTION_DAYS: the processed ones and the invalid ones. A delivery that failed
processing is kept (ops reprocess it or Stripe redelivers it); the Events themselves are kept
(they are what makes a redelivery a no-op). Run daily from cron (docs/operations.md)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone
from djstripe.models import WebhookEventTrigger


class Command(BaseCommand):
    help = "Delete processed and invalid Stripe webhook deliveries older than the retention window."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Retention in days (default WEBHOOK_DELIVERY_RETENTION_DAYS).")

    def handle(self, *args, days=None, **options):
        days = settings.WEBHOOK_DELIVERY_RETENTION_DAYS if days is None else days
        cutoff = timezone.now() - datetime.timedelta(days=days)
        deleted, _ = WebhookEventTrigger.objects.filter(
            Q(processed=True) | Q(valid=False), created__lt=cutoff
        ).delete()
        self.stdout.write(f"deleted {deleted} webhook deliveries older than {days} days")
