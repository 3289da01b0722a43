"""The reminder scheduler: every minute, queue the reminders whose minute has come."""

import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from reminders.services import SWEEP_BATCH, reminders_sweep


class Command(BaseCommand):
    help = "Run the reminders due sweep every minute (or once with --once). Several may run at once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One sweep, then exit.")
        parser.add_argument("--batch-size", type=int, default=SWEEP_BATCH)

    def handle(self, *args, once, batch_size, **options):
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            started = timezone.now()
            results = reminders_sweep(now=started, batch_size=batch_size)
            queued = sum(result.queued for result in results)
            lags = [lag for result in results for lag in result.lag_seconds]
            self.stdout.write(
                f"reminders sweep at={started:%Y-%m-%dT%H:%M:%SZ} queued={queued} batches={len(results)} "
                f"max_lag_s={max(lags, default=0):.1f}"
            )
            if once:
                return
            # Wake at the start of the next minute: a reminder is due on its minute.
            stop.wait(60 - time.time() % 60)
