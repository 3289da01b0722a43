from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from ops.content_load import content_load
from ops.grants import milestones_grant_crossed


class Command(BaseCommand):
    help = (
        "Load or update the plans, milestones and roadmaps from the repo (idempotent), then give "
        "creators the milestones the new catalogue says they already crossed (grant_milestones)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-dir", help="Read the content from this checkout instead of this one.")

    def handle(self, *args, base_dir=None, **options):
        try:
            reports = content_load(base_dir=base_dir)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"]:
            for section, report in reports.items():
                self.stdout.write(f"{section}: {report}")
        granted = milestones_grant_crossed()
        if options["verbosity"]:
            self.stdout.write(f"milestones granted to creators who had crossed them: {granted}")
