"""After a point-in-time restore, before opening the doors: `manage.py reconcile_after_restore`.

The restored database ends at the restore point; the outside world does not:
- Stripe: what it made or changed since is fetched and applied through the webhooks' path
  (billing.services.restore_reconcile);
- email: what left since is in the send ledger (core.send_ledger, outside the database), which
  every email job consults, so a restored job does not send it again; its recipients are listed;
- creators: the completions they made after the restore point are gone. Each creator known to
  have been active since (billing changed in Stripe, emailed since, per the ledger) is listed with
  what they see now: their stats as the audit's replay of the completions that survived derives
  them (ops.repair.replay_of, the streak as read today), so the operator can tell them.
"""

import dataclasses
import datetime

from accounts.emails import email_canonical
from accounts.models import User
from accounts.streaks import stats_seen
from billing.services import restore_reconcile as billing_reconcile
from core.send_ledger import ledger_sent_since
from ops.repair import replay_of


@dataclasses.dataclass(frozen=True)
class AffectedCreator:
    email: str
    user_id: int | None  # None: the account itself was made after the restore point
    why: tuple[str, ...]
    points: int = 0
    tasks_completed: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    last_active_on: datetime.date | None = None

    def says(self):
        """What the operator tells this creator."""
        if self.user_id is None:
            return ("their account was created after the restore point and is gone: they sign up again "
                    "(a Stripe customer without a creator is listed above)")
        return (f"work after the restore point is gone; they see {self.points} points, {self.tasks_completed} tasks, "
                f"a {self.current_streak}-day streak (longest {self.longest_streak}), last active "
                f"{self.last_active_on or 'never'}: completing those tasks again earns them again")


@dataclasses.dataclass
class Reconciliation:
    since: datetime.datetime
    stripe: billing_reconcile.StripeApplied
    emails_sent_since: list  # [(key, recipient, subject, sent at)] from the send ledger
    affected: list


def _affected(user_ids, emails_sent_since):
    why = {}
    for user_id in user_ids:
        why.setdefault(user_id, []).append("billing changed in Stripe")
    emails = {}
    for key, to, subject, at in emails_sent_since:
        emails.setdefault(email_canonical(to), []).append(f"emailed {at:%Y-%m-%d %H:%M:%S} UTC: {subject}")
    users = {user.email_canonical: user for user in User.objects.filter(email_canonical__in=list(emails))} if emails else {}
    users_by_id = {user.pk: user for user in User.objects.select_related("profile").filter(pk__in=list(why))}
    for address, lines in emails.items():
        user = users.get(address)
        if user is None:
            continue
        users_by_id.setdefault(user.pk, user)
        why.setdefault(user.pk, []).extend(lines)
    affected = []
    for user_id, reasons in sorted(why.items()):
        user = users_by_id[user_id]
        seen = stats_seen(replay_of(user_id=user_id).stats, profile=user.profile)
        affected.append(AffectedCreator(
            email=user.email, user_id=user_id, why=tuple(reasons), points=seen.points,
            tasks_completed=seen.tasks_completed, current_streak=seen.current_streak,
            longest_streak=seen.longest_streak, last_active_on=seen.last_active_on,
        ))
    affected += [AffectedCreator(email=address, user_id=None, why=tuple(lines))
                 for address, lines in sorted(emails.items()) if address not in users]
    return affected


def restore_reconcile(*, since):
    """Reconcile the restored database with Stripe and the send ledger since `since` (the restore
    point, an aware datetime). Calls Stripe outside any transaction; idempotent."""
    changes = billing_reconcile.stripe_changes_since(since=since)
    applied = billing_reconcile.stripe_changes_apply(changes)
    emails = ledger_sent_since(since)
    return Reconciliation(since=since, stripe=applied, emails_sent_since=emails,
                          affected=_affected(applied.user_ids, emails))
