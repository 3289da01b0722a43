"""The audit's checks of the promises between tables that no replay derives (ops.audit has those
of the completions): every metered counter agrees with the rows it counts, every account has
its rows, every payment its invoice, every entitlement the subscription it mirrors (both ways),
and every completion the points of its quality. One set-based query each, like ops.audit's.

Which of them `--fix` repairs is ops.repair.REPAIRABLE; the others name what a person decides.
"""

from django.db import connection

from billing.plan_rules import PAYING_STATUSES
from ops.audit_query import Breach, rows
from tasks.services.completion import QUALITY_MAX, QUALITY_MIN, points_for
from usage.catalog import FEATURES
from usage.models import Feature

_IDEA_IN_PERIOD = "i.created_at >= c.starts_at AND (c.resets_at IS NULL OR i.created_at < c.resets_at)"


def points_follow_quality():
    """Completions whose points are not what their quality earns (points_for)."""
    by_quality = " ".join(f"WHEN {q} THEN {points_for(q)}" for q in range(QUALITY_MIN, QUALITY_MAX + 1))
    found = rows(
        "SELECT id, user_id, quality, points FROM tasks_taskcompletion "
        f"WHERE points <> CASE quality {by_quality} END"
    )
    return [Breach("points_follow_quality", {"user_id": r["user_id"], "completion_id": r["id"]},
                   f"{r['points']} points for quality {r['quality']}") for r in found]


def accounts_without_their_rows():
    """Accounts without the rows signup writes with them: the profile, the stats, the enrollment
    in the profile's platform (an operator's account, staff without a profile, is no creator's).
    No entitlement row is the free plan (billing.plan_rules), not a breach."""
    found = rows(
        "SELECT u.id AS user_id, p.user_id IS NULL AS no_profile, s.user_id IS NULL AS no_stats, "
        "p.user_id IS NOT NULL AND e.id IS NULL AS no_enrollment FROM accounts_user u "
        "LEFT JOIN accounts_creatorprofile p ON p.user_id = u.id "
        "LEFT JOIN accounts_creatorstats s ON s.user_id = u.id "
        "LEFT JOIN accounts_enrollment e ON e.user_id = u.id AND e.platform = p.platform "
        "WHERE NOT (u.is_staff AND p.user_id IS NULL) AND (p.user_id IS NULL OR s.user_id IS NULL OR e.id IS NULL)"
    )
    missing = {"no_profile": ("account_has_profile", "no profile"), "no_stats": ("account_has_stats", "no stats row"),
               "no_enrollment": ("account_follows_its_platform", "no enrollment in the profile's platform")}
    return [Breach(check, {"user_id": r["user_id"]}, detail)
            for r in found for column, (check, detail) in missing.items() if r[column]]


def platforms_counted():
    """The lifetime platforms counter (its initial value while no row exists) equals the
    enrollments: following counts one, leaving releases one (tasks.services.enrollments)."""
    initial = FEATURES[Feature.PLATFORMS].initial
    found = rows(
        "SELECT n.user_id, c.id AS counter_id, COALESCE(c.used, %s) AS used, n.followed FROM "
        "(SELECT user_id, COUNT(*) AS followed FROM accounts_enrollment GROUP BY user_id) n "
        "LEFT JOIN usage_usagecounter c ON c.user_id = n.user_id AND c.feature = %s "
        "WHERE COALESCE(c.used, %s) <> n.followed",
        [initial, Feature.PLATFORMS, initial],
    )
    return [Breach("platforms_counter_equals_enrollments", {"user_id": r["user_id"], "counter_id": r["counter_id"]},
                   f"platforms counter {r['used']}, {r['followed']} platform(s) followed") for r in found]


def ideas_counted():
    """Every idea saved counts in the ideas counter of the period it was saved in: a counter
    below the ideas saved in its period (deleting one gives nothing back, so above is fine), or
    ideas saved in no counted period."""
    under = rows(
        "SELECT c.id AS counter_id, c.user_id, c.used, COUNT(*) AS saved FROM usage_usagecounter c "
        f"JOIN tasks_contentidea i ON i.user_id = c.user_id AND {_IDEA_IN_PERIOD} WHERE c.feature = %s "
        "GROUP BY c.id, c.user_id, c.used HAVING c.used < COUNT(*)",
        [Feature.IDEAS],
    )
    uncounted = rows(
        "SELECT i.user_id, COUNT(*) AS saved FROM tasks_contentidea i WHERE NOT EXISTS (SELECT 1 FROM "
        f"usage_usagecounter c WHERE c.user_id = i.user_id AND c.feature = %s AND {_IDEA_IN_PERIOD}) "
        "GROUP BY i.user_id",
        [Feature.IDEAS],
    )
    return [Breach("ideas_counter_covers_ideas_saved", {"user_id": r["user_id"], "counter_id": r["counter_id"]},
                   f"ideas counter {r['used']}, {r['saved']} idea(s) saved in its period") for r in under] + [
        Breach("ideas_saved_in_a_counted_period", {"user_id": r["user_id"]},
               f"{r['saved']} idea(s) saved in no counted period") for r in uncounted]


def _subscription_status(alias):
    """SQL: the status of dj-stripe's subscription row `alias` (dj-stripe 2.11 keeps it in the
    object Stripe sent, `stripe_data`)."""
    if connection.vendor == "sqlite":
        return f"json_extract({alias}.stripe_data, '$.status')"
    return f"({alias}.stripe_data ->> 'status')"


def entitlements_unlike_subscriptions():
    """The entitlement mirrors the stored subscription it names, both ways: granting a paid plan
    through a subscription that does not pay (canceled at Stripe, still Pro here), or a paying
    subscription whose creator's entitlement does not pay through it (a paying creator locked
    out). Which statuses pay is billing.plan_rules.PAYING_STATUSES."""
    paying = sorted(PAYING_STATUSES)
    marks, status = ", ".join(["%s"] * len(paying)), _subscription_status("s")
    granting = rows(
        f"SELECT e.user_id, s.id AS subscription_id, {status} AS status FROM billing_entitlement e "
        "JOIN djstripe_subscription s ON s.id = e.stripe_subscription_id "
        f"WHERE e.source = 'stripe' AND e.status IN ({marks}) AND {status} NOT IN ({marks})",
        [*paying, *paying],
    )
    locked_out = rows(
        f"SELECT c.subscriber_id AS user_id, s.id AS subscription_id, {status} AS status FROM djstripe_subscription s "
        "JOIN djstripe_customer c ON c.id = s.customer_id "  # DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
        f"WHERE {status} IN ({marks}) AND c.subscriber_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM billing_entitlement e "
        f"WHERE e.user_id = c.subscriber_id AND e.stripe_subscription_id = s.id AND e.status IN ({marks}))",
        [*paying, *paying],
    )
    return [Breach("entitlement_follows_its_subscription", {"user_id": r["user_id"]},
                   f"grants a paid plan, subscription {r['subscription_id']} is {r['status']}") for r in granting] + [
        Breach("paying_subscription_grants_its_plan", {"user_id": r["user_id"]},
               f"subscription {r['subscription_id']} is {r['status']}, the entitlement does not grant it")
        for r in locked_out]


CHECKS = [points_follow_quality, accounts_without_their_rows, platforms_counted, ideas_counted,
          entitlements_unlike_subscriptions]
