from django.core.management.base import BaseCommand

from core.job_retries import MAX_ATTEMPTS, sweep


class Command(BaseCommand):
    help = (
        "Enqueue failed jobs, and jobs stuck RUNNING (their worker died), again with exponential "
        f"backoff, up to {MAX_ATTEMPTS} attempts. Safe to run any time (cron every few minutes)."
    )

    def handle(self, *args, **options):
        retried, given_up = sweep()
        self.stdout.write(f"retried {retried} job(s); {given_up} left as failed (attempts used up or retried already)")
