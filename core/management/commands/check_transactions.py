import json

from django.core.management.base import BaseCommand, CommandError

from core.transaction_checks import run_checks


class Command(BaseCommand):
    help = (
        "Run every durable service with a fault injected after each of its writes, on the configured "
        "database, and prove no row of the tables it may touch was changed, added or removed (row "
        "digests) and no on-commit side effect was left. Everything is rolled back. Exits 1 on any "
        "leak, broken scenario or scenario whose writes change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("services", nargs="*", help="only these services")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, services, **options):
        results = run_checks(only=services or None)
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in results], indent=2))
        else:
            width = max(len(r.service) for r in results)
            self.stdout.write(f"{'service':<{width}}  steps  result       detail")
            for r in results:
                self.stdout.write(f"{r.service:<{width}}  {r.steps:>5}  {r.result:<11}  {r.detail}")
        failed = [r.service for r in results if r.failed]
        if failed:
            raise CommandError(f"{len(failed)} service(s) not proven atomic: {', '.join(failed)}")

