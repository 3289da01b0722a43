from django.core.management.base import BaseCommand

from ops.grants import BATCH_CREATORS, milestones_grant_crossed


class Command(BaseCommand):
    help = (
        "Give every creator the active milestones their completions crossed and they lack (after a "
        "milestone was added, or a removed task completed a phase for them): dated by the completion "
        "that crossed it, with a pending celebration, no email; a batch of creators per transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH_CREATORS, help="creators per transaction")

    def handle(self, *args, batch, **options):
        granted = milestones_grant_crossed(batch=batch)
        self.stdout.write(f"granted {granted} milestone(s)")
