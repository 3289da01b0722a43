"""manage.py reset_usage: close the usage periods that have ended.

Safe at any time, twice, or in several processes at once: each counter is closed by one
conditional UPDATE, once. A creator's usage starts afresh at the end of a period whether or not
this runs (the new period has its own counter); closing marks the old rows final. Progress goes
to stderr batch by batch, the summary to stdout.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from usage.models import UsageCounter
from usage.services import usage_periods_close

BAR_WIDTH = 30


def _plain(text):
    return text  # progress is not an error: no red on a terminal


class ProgressBar:
    """A text progress bar on a stream: redrawn in place on a terminal, one line per update
    otherwise (logs)."""

    def __init__(self, stream, total, label):
        self.stream, self.total, self.label = stream, total, label
        self.started = time.monotonic()
        self.inline = getattr(stream, "isatty", lambda: False)()

    def update(self, done):
        fraction = done / self.total if self.total else 1
        filled = round(BAR_WIDTH * min(fraction, 1))
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{self.total} {fraction:.0%} {rate:,.0f}/s"
        if self.inline:
            self.stream.write("\r" + line, style_func=_plain, ending="")
            self.stream.flush()
        else:
            self.stream.write(line, style_func=_plain)

    def finish(self):
        if self.inline:
            self.stream.write("")


class Command(BaseCommand):
    help = "Close usage periods that have ended (idempotent; safe to run concurrently)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="counters closed per transaction")

    def handle(self, *args, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        now = timezone.now()
        total = UsageCounter.objects.filter(closed_at__isnull=True, resets_at__lte=now).count()
        bar = ProgressBar(self.stderr, total, "closing expired periods") if verbosity and total else None
        report = usage_periods_close(
            now=now, batch_size=batch_size, on_batch=bar and (lambda report: bar.update(report.expired))
        )
        if bar:
            bar.finish()
        self.stdout.write(
            f"closed {report.closed} expired period(s)"
            + (f"; {report.expired - report.closed} closed meanwhile by another run" if report.expired > report.closed else "")
        )
