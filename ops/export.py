"""Data export (GDPR art. 20): everything the product holds about a creator, read from one
consistent snapshot (REPEATABLE READ on PostgreSQL; a SQLite transaction reads one snapshot too)
and packed as a ZIP of `data.json` (machine-readable, everything) and one CSV per table (for a
person). Not metered: it is the creator's right, not a plan feature (tasks' calendar export is)."""

import csv
import io
import json
import zipfile

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import account_services
from accounts import jobs as account_jobs
from accounts.catalog import EMAIL_KIND_FIELDS
from accounts.models import Enrollment, User
from billing.models import Payment
from core.email import email_enqueue
from core.transactions import durable_service
from milestones.models import MilestoneAchievement
from tasks.models import ContentIdea, TaskCompletion
from usage.models import UsageCounter


def _rows(queryset, fields):
    return [{name: value for name, value in zip(fields, row)} for row in queryset.values_list(*fields)]


def _snapshot(user_id):
    user = User.objects.select_related("profile", "stats").get(pk=user_id)
    profile, stats = user.profile, user.stats
    return {
        "profile": {
            "email": user.email, "email_verified_at": user.email_verified_at, "date_joined": user.date_joined,
            "display_name": profile.display_name, "platform": profile.platform, "niche": profile.niche,
            "timezone": profile.timezone,
            "email_preferences": {kind.value: getattr(profile, field) for kind, field in EMAIL_KIND_FIELDS.items()},
            "stats": {"points": stats.points, "tasks_completed": stats.tasks_completed,
                      "current_streak": stats.current_streak, "longest_streak": stats.longest_streak,
                      "last_active_on": stats.last_active_on},
        },
        "enrollments": _rows(Enrollment.objects.filter(user_id=user_id).order_by("created_at"),
                             ["platform", "started_on", "current_phase", "current_week"]),
        "completions": _rows(TaskCompletion.objects.filter(user_id=user_id).order_by("completed_at", "pk"),
                             ["task__platform", "task__day", "task__title", "quality", "notes", "points",
                              "completed_at", "local_date"]),
        "ideas": _rows(ContentIdea.objects.filter(user_id=user_id).order_by("created_at", "pk"),
                       ["title", "notes", "task__title", "created_at", "updated_at"]),
        "achievements": [
            {**row, "share_url": f"{settings.SITE_URL}/m/{row['share_token']}" if row["share_token"] else ""}
            for row in _rows(MilestoneAchievement.objects.filter(user_id=user_id).order_by("achieved_at", "pk"),
                             ["milestone__code", "milestone__title", "achieved_at", "share_token"])
        ],
        "usage": _rows(UsageCounter.objects.filter(user_id=user_id).order_by("starts_at", "feature"),
                       ["feature", "period_start", "starts_at", "resets_at", "used"]),
        "payments": _rows(Payment.objects.filter(user_id=user_id).order_by("paid_at", "pk"),
                          ["stripe_invoice_id", "number", "plan_id", "amount_cents", "currency", "paid_at",
                           "period_end"]),
    }


def export_snapshot(*, user_id):
    """Everything held about the creator, read in one transaction at REPEATABLE READ: a
    completion committed while it reads is in every file or in none."""
    # Inside a test's wrapping transaction the isolation level is that transaction's already.
    outermost = not connection.in_atomic_block
    with transaction.atomic(durable=True):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _snapshot(user_id)


def _csv(rows):
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def export_archive(snapshot):
    """The ZIP: data.json (everything) and one CSV per list."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(snapshot, indent=2, default=str, ensure_ascii=False))
        archive.writestr("profile.csv", _csv([{k: v for k, v in snapshot["profile"].items()
                                               if not isinstance(v, dict)}]))
        for name, rows in snapshot.items():
            if isinstance(rows, list):
                archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


@durable_service("ops.data_export_store")
def data_export_store(*, export_id, user_id, archive):
    """Keep the built archive and email its link (outbox), unless the creator left meanwhile."""
    expires_at = timezone.now() + settings.EXPORT_LINK_MAX_AGE
    if account_services.data_export_store(export_id=export_id, archive=archive, expires_at=expires_at):
        email_enqueue(account_jobs.send_export_ready_email, user_id, export_id)
