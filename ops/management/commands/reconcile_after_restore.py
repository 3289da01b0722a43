import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from core.errors import UpstreamUnavailable
from ops.restore_reconcile import restore_reconcile


def _instant(value):
    parsed = parse_datetime(value.strip())
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(f"--since {value!r}: give an ISO 8601 time with its offset, e.g. 2026-12-07T18:40:33+00:00")
    return parsed.astimezone(datetime.timezone.utc)


class Command(BaseCommand):
    help = (
        "After a point-in-time restore, before opening the doors: apply what Stripe made or changed since the "
        "restore point (subscriptions, invoices, customers, through the webhooks' path), list the emails that "
        "already left since (the send ledger keeps them from going twice) and the creators whose work after "
        "the restore point is gone, with what they see now. Idempotent: run it again after a failure."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, type=_instant,
                            help="the restore point (the recovery target time)")

    def handle(self, *args, since, **options):
        try:
            done = restore_reconcile(since=since)
        except UpstreamUnavailable as error:
            raise CommandError(f"Stripe did not answer ({error}); what was applied is whole: run it again") from error
        write = self.stdout.write
        write(f"Reconciled with the outside world since {since.isoformat()}")
        write(f"Stripe: {len(done.stripe.subscriptions_applied)} subscription(s) applied, "
              f"{len(done.stripe.payments_recorded)} payment(s) recorded, "
              f"{len(done.stripe.customers_stored)} customer(s) stored")
        for customer_id, email in done.stripe.unknown_customers:
            write(f"  Stripe customer {customer_id} <{email}> has no creator here (signed up after the restore point)")
        write(f"Email: {len(done.emails_sent_since)} email(s) left since the restore point; "
              "the send ledger keeps each from going again")
        write(f"Creators whose activity after the restore point is known: {len(done.affected)}")
        for creator in done.affected:
            write(f"  {creator.email} (id {creator.user_id or '-'}): {creator.says()}")
            for reason in creator.why:
                write(f"    - {reason}")
