"""Usage's writes: consuming units of a metered feature under the plan's limit, giving
lifetime units back, closing periods that have ended.

Metering only: usage knows features, periods and limits per plan code, never ideas, exports or
enrollments. The metered actions are tasks' services that call `usage_consume` inside their own
durable transaction, so a failure anywhere in the action rolls the count back with it.
"""

import contextlib
import dataclasses

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.selectors import plan_code_locked
from core.errors import LimitReached
from core.metrics import USAGE_REFUSALS
from core.transactions import durable_service
from usage.catalog import LIFETIME, feature_spec, period_opening
from usage.locks import usage_counter_qs_for_update, usage_period_opening_lock
from usage.models import UsageCounter, counter_open_at


def _joined_transaction():
    """Join the caller's transaction, or open one when there is none. Unlike
    atomic(savepoint=False), a refusal raised inside does not doom the caller's transaction:
    all it wrote is the period's row at its initial count, which is harmless to keep."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _refusal(spec, *, limit, used, resets_at):
    USAGE_REFUSALS.labels(spec.feature).inc()
    return LimitReached(
        spec.refused.format(limit=limit, used=used, s="" if limit == 1 else "s"),
        extra={"feature": spec.feature, "limit": limit, "used": used, "resets_at": resets_at},
    )


def usage_consume(*, user, feature, n=1, now=None):
    """Count `n` units of `feature` for the creator in the period open at `now`, or refuse.

    One conditional UPDATE decides: `used = used + n WHERE used + n <= limit` (no condition on
    an unlimited plan: counted, never refused), on the counter whose stored period contains
    `now`. A period is fixed when it opens (its start and end instants are on the row): a
    time-zone change applies from the next period and never shortens or restarts an open one.
    When no period is open, one opens (usage.catalog.period_opening: the local period in the
    creator's time zone now, never before the previous one ended), created with INSERT … ON
    CONFLICT DO NOTHING, so racing first consumes neither fail nor double-count, and nothing
    aborts the surrounding PostgreSQL transaction. Raises LimitReached (429) with the limit,
    what is used and when the open period resets. `user` comes with its profile (time zone).

    Joins the caller's transaction (the metered action's): a rollback there undoes the count;
    a refusal leaves it usable. Takes the entitlement lock, then the counter's row lock (both
    held to the commit; core.locks.LOCK_ORDER): call it after any stats lock. Opening a period
    is serialised per creator and feature (usage_period_opening_lock). Statements: 2 when the
    period's row exists, 6 when it opens the period (7 on PostgreSQL: the opening lock), 5
    refused (plus BEGIN/COMMIT if it is its own transaction).
    """
    spec = feature_spec(feature)
    if not isinstance(n, int) or n < 1:
        raise ValueError("consume a positive whole number of units")
    now = now or timezone.now()
    with _joined_transaction():
        limit = spec.limit_for(plan_code_locked(user_id=user.pk, now=now))
        counters = usage_counter_qs_for_update().filter(user_id=user.pk, feature=spec.feature)
        current = counters.filter(counter_open_at(now))
        # used + n <= limit, written as used <= limit - n so the column stands alone.
        allowed = current if limit is None else current.filter(used__lte=limit - n)
        if allowed.update(used=F("used") + n):
            return
        # No period open, or the limit is reached: open the period if none is, try again.
        latest = _latest_end(counters, now)
        if latest is not _OPEN:
            # Opening is serialised per creator and feature; re-read under the lock: another
            # consume may have opened it meanwhile (perhaps in the zone before a change).
            usage_period_opening_lock(user_id=user.pk, feature=spec.feature)
            latest = _latest_end(counters, now)
        if latest is not _OPEN:
            period = period_opening(spec.period, tz=user.profile.tzinfo, now=now, previous_end=latest)
            UsageCounter.objects.bulk_create(
                [
                    UsageCounter(
                        user_id=user.pk,
                        feature=spec.feature,
                        period_start=period.start,
                        starts_at=period.starts_at,
                        resets_at=period.resets_at,
                        used=spec.initial,
                    )
                ],
                ignore_conflicts=True,
            )
        if allowed.update(used=F("used") + n):
            return
        used, resets_at = current.values_list("used", "resets_at").first()
        raise _refusal(spec, limit=limit, used=used, resets_at=resets_at)


_OPEN = object()


def _latest_end(counters, now):
    """_OPEN when a counter's period contains `now`, else when the latest period before `now`
    ended (None: the creator never used the feature). One query."""
    latest = counters.filter(starts_at__lte=now).order_by("-starts_at").values("resets_at").first()
    if latest is None:
        return None
    if latest["resets_at"] is None or latest["resets_at"] > now:
        return _OPEN
    return latest["resets_at"]


def usage_release(*, user, feature, n=1, now=None):
    """Give `n` units of a lifetime feature back (leaving a platform frees its slot): one
    conditional UPDATE that never goes below zero. Returns whether anything was released.
    Units of daily and monthly features stay used until the period resets.
    Call inside a transaction (the action that frees the unit)."""
    spec = feature_spec(feature)
    if spec.period != LIFETIME:
        raise ValueError(f"{spec.feature} is counted per {spec.period}: its units are not given back")
    released = usage_counter_qs_for_update().filter(
        counter_open_at(now or timezone.now()), user_id=user.pk, feature=spec.feature, used__gte=n
    ).update(used=F("used") - n)
    return bool(released)


def usage_counters_recount(*, user_id, feature, counted, raise_only=False):
    """Repair (audit_integrity --fix): set `used` of the creator's counters of `feature` to
    `counted`, an expression over the rows they count (the caller's: usage knows no ideas or
    enrollments), in one conditional UPDATE, so that nothing used meanwhile is lost; with
    `raise_only`, only upwards (units whose rows were deleted since stay used). Returns how many
    changed. Call inside a transaction, after the stats lock."""
    counters = usage_counter_qs_for_update().filter(user_id=user_id, feature=feature)
    counters = counters.filter(used__lt=counted) if raise_only else counters.exclude(used=counted)
    return counters.update(used=counted)


@dataclasses.dataclass
class CloseReport:
    expired: int = 0  # open periods that had ended when this run looked
    closed: int = 0  # closed by this run (another run may have closed the rest)


@durable_service("usage.periods_close_batch")
def periods_close_batch(*, ids, now):
    # Conditional: a row another run closed meanwhile is left as it is.
    return usage_counter_qs_for_update().filter(pk__in=ids, closed_at__isnull=True, resets_at__lte=now).update(closed_at=now)


def usage_periods_close(*, now=None, batch_size=1000, on_batch=None):
    """Close every counter whose period ended at or before `now`, in batches of `batch_size`
    ids, each its own short transaction; `on_batch(report)` is called after each. Safe to run
    at any time, twice, or in several processes at once: a counter is closed by one conditional
    UPDATE, once. Consuming never depends on it (a new period has a new row).
    Call outside a transaction."""
    now = now or timezone.now()
    report = CloseReport()
    expired = UsageCounter.objects.filter(closed_at__isnull=True, resets_at__lte=now).order_by("pk")
    last_id = 0
    while True:
        ids = list(expired.filter(pk__gt=last_id).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return report
        report.expired += len(ids)
        report.closed += periods_close_batch(ids=ids, now=now)
        last_id = ids[-1]
        if on_batch:
            on_batch(report)


def creator_usage_erase(*, user_id):
    """Delete a creator's counters (their account is being deleted). Call inside the deletion's
    transaction, after the stats and entitlement locks (core.locks.LOCK_ORDER)."""
    list(usage_counter_qs_for_update().filter(user_id=user_id).values_list("pk", flat=True))
    UsageCounter.objects.filter(user_id=user_id).delete()
