"""Tasks' reads: the roadmap of a creator, the dashboard's activity calendar."""

import collections
import dataclasses
import datetime
import functools

from django.db.models import Count, FilteredRelation, Q
from django.template.loader import render_to_string

from accounts import selectors as account_selectors
from billing.plan_rules import plan_covers_day
from billing.selectors import plan_for
from core.catalog import catalogue_cached, catalogue_version
from core.errors import NotFound
from core.rawsql import Select, Table
from tasks.models import PHASES, ROADMAP_DAYS, ContentIdea, RoadmapTask, TaskCompletion

HEATMAP_WEEKS = 13


@dataclasses.dataclass
class RoadmapDay:
    day: int
    date: datetime.date
    phase: int
    week: int
    locked: bool
    is_today: bool
    tasks: list

    @property
    def completed(self):
        return all(task.completed for task in self.tasks)


@dataclasses.dataclass
class Progress:
    completed: int
    total: int

    @property
    def percent(self):
        return round(100 * self.completed / self.total) if self.total else 0


@dataclasses.dataclass
class Roadmap:
    platform: str
    enrollment: object
    plan: object
    today: int
    days: list
    progress: Progress
    catalogue_version: str | None  # core.catalog's token the tasks and plan were read at

    @property
    def completed(self):
        return self.progress.completed

    @property
    def total(self):
        return self.progress.total

    @property
    def percent(self):
        return self.progress.percent

    @property
    def today_day(self):
        return next((d for d in self.days if d.is_today), None)

    @property
    def phase_name(self):
        return PHASES.get(self.enrollment.current_phase, "")


@dataclasses.dataclass(frozen=True)
class RoadmapCatalogue:
    tasks: dict  # id -> active RoadmapTask
    weeks: dict  # platform -> {(phase, week): frozenset of its active task ids}, in roadmap order
    ordered: dict  # platform -> tuple of its active tasks, in roadmap order (day, order)


def _roadmap_catalogue_load():
    tasks = {task.pk: task for task in RoadmapTask.objects.filter(is_active=True).order_by("platform", "day", "order")}
    weeks, ordered = {}, {}
    for task in tasks.values():
        weeks.setdefault(task.platform, {}).setdefault((task.phase, task.week), set()).add(task.pk)
        ordered.setdefault(task.platform, []).append(task)
    return RoadmapCatalogue(
        tasks=tasks,
        weeks={platform: {week: frozenset(ids) for week, ids in sorted(by_week.items())} for platform, by_week in weeks.items()},
        ordered={platform: tuple(platform_tasks) for platform, platform_tasks in ordered.items()},
    )


def roadmap_catalogue(*, version):
    """Every active roadmap task, read once per process and catalogue version (`version` from
    core.catalog.catalogue_version): shared by the process's requests, so read-only."""
    return catalogue_cached("tasks.roadmap", version, _roadmap_catalogue_load)


@dataclasses.dataclass(frozen=True)
class TaskHtml:
    """The parts of a task's card that are the same for every creator, as HTML
    (templates/tasks/task_card/<part>.html)."""

    chips: str
    title: str
    locked_note: str
    advice: str
    form_start: str
    form_end: str


def task_html(task, *, version):
    """The task's TaskHtml: rendered once per process, catalogue version and task, and kept with
    the catalogue's copies (a content load changes the version, and the next read renders the new
    text). Without a version it is rendered and not kept."""
    rendered = catalogue_cached("tasks.task_html", version, dict)
    html = rendered.get(task.pk)
    if html is None:
        parts = {part.name: render_to_string(f"tasks/task_card/{part.name}.html", {"task": task}) for part in dataclasses.fields(TaskHtml)}
        html = rendered[task.pk] = TaskHtml(**parts)
    return html


class CreatorTask:
    """One roadmap task as one creator sees it: the task (the process's catalogue copy, shared
    by every request, so never written to) with the creator's completion and plan lock. Reads
    everything else from the task."""

    def __init__(self, task, *, completed_at, locked, catalogue_version):
        self.task = task
        self.completed_at = completed_at
        self.locked = locked
        self.catalogue_version = catalogue_version

    def __getattr__(self, name):
        return getattr(self.task, name)

    @property
    def completed(self):
        return self.completed_at is not None

    @functools.cached_property
    def html(self):
        return task_html(self.task, version=self.catalogue_version)


def _completions_select(alias):
    completions = Table(TaskCompletion, alias)
    fields = ("task", "completed_at", "local_date")
    sql = f"SELECT {completions.columns(fields)} FROM {completions.name} WHERE {completions.column('user')} = %s"
    return sql, [(completions, name) for name in fields]


# Hand-written SQL (core.rawsql): every roadmap and dashboard reads it, and the ORM's query
# building and row handling cost more CPU than the statement.
_COMPLETIONS = Select(TaskCompletion, _completions_select)


def completions_of(*, user):
    """(task id, completed at, local date) of every task the creator completed, on every
    platform: at most 270 rows. One query, which the dashboard shares between the roadmap and
    the calendar."""
    return _COMPLETIONS.rows([user.pk])


def roadmap_for(*, user, platform=None, now=None, completions=None):
    """The creator's roadmap for a platform they follow (default: their main one): every day
    with its date, tasks (CreatorTask), completed and locked-by-plan flags. Four small queries
    whatever the progress (catalogue version, enrollment, entitlement, completions; three given
    `completions`, the creator's completions_of): the tasks and plans come from the process's
    copy of the catalogue; `user` comes with its profile."""
    profile = user.profile
    version = catalogue_version()
    enrollment = account_selectors.enrollment_get(user=user, platform=platform or profile.platform)
    if enrollment is None:
        raise NotFound("You do not follow this platform's roadmap.")
    plan = plan_for(user, now=now, catalogue_version=version)
    today = account_selectors.roadmap_day_today(enrollment=enrollment, profile=profile, now=now)
    if completions is None:
        completions = completions_of(user=user)
    # Every platform's completions: the platform's tasks below pick theirs.
    completed_at = {task_id: at for task_id, at, _ in completions}
    days, completed = {}, 0
    for task in roadmap_catalogue(version=version).ordered.get(enrollment.platform, ()):
        card = CreatorTask(
            task,
            completed_at=completed_at.get(task.pk),
            locked=not plan_covers_day(plan, task.day),
            catalogue_version=version,
        )
        completed += card.completed
        if task.day not in days:
            days[task.day] = RoadmapDay(
                day=task.day,
                date=enrollment.started_on + datetime.timedelta(days=task.day - 1),
                phase=task.phase,
                week=task.week,
                locked=card.locked,
                is_today=task.day == min(today, ROADMAP_DAYS),
                tasks=[],
            )
        days[task.day].tasks.append(card)
    return Roadmap(
        platform=enrollment.platform,
        enrollment=enrollment,
        plan=plan,
        today=today,
        days=list(days.values()),
        progress=Progress(completed=completed, total=sum(len(day.tasks) for day in days.values())),
        catalogue_version=version,
    )


def roadmap_progress(*, user, platform):
    """Completed and total active tasks of a platform's roadmap for the creator. One query."""
    counts = (
        RoadmapTask.objects.filter(platform=platform, is_active=True)
        .annotate(mine=FilteredRelation("completions", condition=Q(completions__user=user)))
        .aggregate(total=Count("id"), completed=Count("mine"))
    )
    return Progress(completed=counts["completed"], total=counts["total"])


def activity_calendar(*, completions, today, weeks=HEATMAP_WEEKS):
    """Completions per local date for the last `weeks` whole weeks up to `today`, as weeks of
    7 (date, count) cells starting on Monday: the streak heat map. From the creator's
    completions_of; no query."""
    start = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    counts = collections.Counter(local_date for _, _, local_date in completions if start <= local_date <= today)
    cells = [(start + datetime.timedelta(days=i), counts[start + datetime.timedelta(days=i)]) for i in range(7 * weeks)]
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def ideas_of(*, user):
    """The creator's content ideas, newest first, with their tasks. One query."""
    return list(ContentIdea.objects.filter(user=user).select_related("task").order_by("-created_at", "-id"))


def idea_get(*, user, idea_id):
    """One of the creator's ideas (NotFound for anyone else's)."""
    idea = ContentIdea.objects.filter(user=user, pk=idea_id).select_related("task").first()
    if idea is None:
        raise NotFound("No such idea.")
    return idea
