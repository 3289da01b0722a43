"""How `manage.py check_transactions` exercises usage's durable services."""

import datetime

from django.utils import timezone

from accounts.transaction_checks import check_creator
from core.transaction_checks import scenario
from usage.models import Feature, UsageCounter
from usage.services import periods_close_batch, usage_consume


@scenario("usage.periods_close_batch", reaches=("usage_usagecounter",))
def close_batch():
    creator = check_creator()
    usage_consume(user=creator, feature=Feature.IDEAS)
    later = timezone.now() + datetime.timedelta(days=2)
    ids = list(UsageCounter.objects.filter(user=creator, resets_at__lte=later).values_list("pk", flat=True))
    return lambda: periods_close_batch(ids=ids, now=later)
