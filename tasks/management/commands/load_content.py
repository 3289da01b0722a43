from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from tasks.content_load import content_load


class Command(BaseCommand):
    help = "Load or update the plans, milestones and roadmaps from the repo (idempotent)."

    def handle(self, *args, **options):
        try:
            reports = content_load()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for section, report in reports.items():
            self.stdout.write(f"{section}: {report}")
