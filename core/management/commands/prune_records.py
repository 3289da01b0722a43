from django.core.management.base import BaseCommand

from core.retention import records_prune


class Command(BaseCommand):
    help = (
        "Delete finished jobs and their retry records, blank the address of emails sent long ago (their keys "
        "stay, so nothing is sent twice), delete expired idempotency keys (core/retention.py). Daily; safe any time."
    )

    def handle(self, *args, **options):
        pruned = records_prune()
        self.stdout.write("; ".join(f"{what}: {count}" for what, count in pruned.items()))
