import json
import time

from django.core.management.base import BaseCommand, CommandError

from ops import audit, repair


class Command(BaseCommand):
    help = (
        "Check the cross-table invariants (stats, achievements and enrollment weeks follow the "
        "completions, every achievement celebrated, counters within limits and equal to the rows they "
        "count, every account with its rows, payments with their user and invoice, entitlements and "
        "subscriptions agreeing both ways, points from quality). Exits 1 on any breach. --fix re-derives "
        "each creator's derived state from their completions, forward only, and names what needs a person."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="re-derive the state of each creator with a breach from their completions, one transaction per creator")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, fix, **options):
        started = time.perf_counter()
        breaches = audit.audit()
        if fix and breaches:
            repaired = repair.repair(breaches)
            self.stderr.write(f"repaired {len(repaired)} creator(s); auditing again")
            breaches = audit.audit()
        elapsed = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(json.dumps({"seconds": round(elapsed, 3), "breaches": [b.__dict__ for b in breaches]}, indent=2))
        else:
            for breach in breaches:
                person = repair.for_a_person(breach)
                needs = f" [for a person: {person}]" if person else ""
                self.stdout.write(f"{breach.check}: {breach.ids} {breach.detail}{needs}")
            self.stdout.write(f"{len(audit.CHECKS)} invariants checked in {elapsed:.2f}s: {len(breaches)} breach(es)")
        if breaches:
            raise CommandError(f"{len(breaches)} integrity breach(es)")
