"""Loading the catalogue (roadmaps, milestones, plans) from the YAML files in the repo."""

from pathlib import Path

from django.conf import settings
from django.db.models import Q

from accounts.catalog import Platform
from billing.services.grants import plans_load
from core.catalog import LoadReport, read_yaml, retire_missing, upsert_by_key
from core.errors import InvalidInput
from core.transactions import durable_service
from milestones.services import milestones_load
from tasks.models import ROADMAP_DAYS, Category, RoadmapTask, phase_and_week

CONTENT_FIELDS = {"code", "day", "order", "category", "minutes", "title", "what", "why", "success"}


def roadmap_rows(platform, data):
    """Validate one platform's YAML and turn it into RoadmapTask rows."""
    if data.get("platform") != platform:
        raise InvalidInput(f"{platform}.yaml declares platform {data.get('platform')!r}.")
    rows, days = [], set()
    for item in data["tasks"]:
        if set(item) != CONTENT_FIELDS:
            raise InvalidInput(f"{item.get('code')}: fields must be exactly {sorted(CONTENT_FIELDS)}.")
        if not 1 <= item["day"] <= ROADMAP_DAYS or item["category"] not in Category.values:
            raise InvalidInput(f"{item['code']}: day or category out of range.")
        phase, week = phase_and_week(item["day"])
        days.add(item["day"])
        rows.append(
            {
                "code": item["code"], "platform": platform, "day": item["day"], "order": item["order"],
                "phase": phase, "week": week, "category": item["category"], "minutes": item["minutes"],
                "title": item["title"].strip(), "body": item["what"].strip(), "why": item["why"].strip(),
                "success": item["success"].strip(), "is_active": True,
            }
        )
    if len({r["code"] for r in rows}) != len(rows):
        raise InvalidInput(f"{platform}.yaml repeats a code.")
    if days != set(range(1, ROADMAP_DAYS + 1)):
        raise InvalidInput(f"{platform}.yaml has no task on days {sorted(set(range(1, ROADMAP_DAYS + 1)) - days)}.")
    return rows


@durable_service("ops.content_load")
def content_load(*, base_dir=None):
    """Load or update plans, milestones and every platform's roadmap in one transaction.
    Idempotent: a second run writes nothing. Never deletes a task someone completed or a
    milestone someone achieved: those are deactivated instead. Returns {section: LoadReport}."""
    base = Path(base_dir or settings.BASE_DIR)
    reports = {"plans": LoadReport(), "milestones": LoadReport()}
    plans_load(rows=read_yaml(base / "billing/content/plans.yaml")["plans"], report=reports["plans"])
    milestones_load(rows=read_yaml(base / "milestones/content/milestones.yaml")["milestones"], report=reports["milestones"])
    for platform in Platform.values:
        report = reports[platform] = LoadReport()
        rows = roadmap_rows(platform, read_yaml(base / f"tasks/content/{platform}.yaml"))
        kept = upsert_by_key(RoadmapTask, "code", rows, report)
        retire_missing(RoadmapTask.objects.filter(platform=platform), kept, "code", Q(completions__isnull=False), report)
    return reports
