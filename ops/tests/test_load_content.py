import shutil
import types

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.tests.factories import CreatorFactory
from billing.models import Plan
from core.faults import count_writes
from milestones.models import Milestone
from ops.content_load import content_load
from tasks.models import RoadmapTask, TaskCompletion

PREFIX = {"youtube": "yt", "tiktok": "tt", "twitch": "tw"}


def _task(platform, day, title=None):
    return {
        "code": f"{PREFIX[platform]}-d{day:02d}-task", "day": day, "order": 1, "category": "create", "minutes": 30,
        "title": title or f"Do day {day}", "what": "Steps.\n", "why": "Reason.\n", "success": "Check.\n",
    }


@pytest.fixture
def content(tmp_path):
    """A copy of the repo's catalogue files with small synthetic roadmaps we can edit."""
    for part in ("billing/content/plans.yaml", "milestones/content/milestones.yaml"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings.BASE_DIR / part, tmp_path / part)
    (tmp_path / "tasks/content").mkdir(parents=True)

    def write(platform, tasks):
        (tmp_path / f"tasks/content/{platform}.yaml").write_text(yaml.safe_dump({"platform": platform, "tasks": tasks}))

    for platform in PREFIX:
        write(platform, [_task(platform, day) for day in range(1, 91)])
    return types.SimpleNamespace(path=tmp_path, write=write)


@pytest.mark.django_db
def test_load_creates_the_catalogue(content):
    reports = content_load(base_dir=content.path)

    assert Plan.objects.count() == 3 and Milestone.objects.count() == 18
    assert RoadmapTask.objects.filter(platform="twitch").count() == 90
    assert reports["youtube"].created == 90
    day_31 = RoadmapTask.objects.get(code="yt-d31-task")
    assert (day_31.phase, day_31.week) == (2, 1)
    assert RoadmapTask.objects.get(code="yt-d30-task").week == 4


@pytest.mark.django_db
def test_a_second_load_writes_nothing(content):
    content_load(base_dir=content.path)

    with count_writes() as writes:
        reports = content_load(base_dir=content.path)

    assert writes == []
    assert reports["plans"].unchanged == 3 and reports["milestones"].unchanged == 18 and reports["tiktok"].unchanged == 90


@pytest.mark.django_db
def test_an_edit_updates_only_that_task(content):
    content_load(base_dir=content.path)
    tasks = [_task("youtube", day) for day in range(1, 91)]
    tasks[4]["title"] = "A better day 5"
    content.write("youtube", tasks)

    reports = content_load(base_dir=content.path)

    assert (reports["youtube"].updated, reports["youtube"].unchanged) == (1, 89)
    assert RoadmapTask.objects.get(code="yt-d05-task").title == "A better day 5"


@pytest.mark.django_db
def test_a_removed_task_is_deleted_unless_someone_completed_it(content, catalogue):
    content_load(base_dir=content.path)
    creator = CreatorFactory(platform="youtube")
    done = RoadmapTask.objects.get(code="yt-d01-task")
    TaskCompletion.objects.create(user=creator, task=done, points=16, completed_at="2026-01-01T00:00Z", local_date="2026-01-01")
    tasks = [_task("youtube", day) for day in range(1, 91)]
    tasks[0]["code"], tasks[1]["code"] = "yt-d01-new", "yt-d02-new"
    content.write("youtube", tasks)

    reports = content_load(base_dir=content.path)

    assert (reports["youtube"].retired, reports["youtube"].deleted) == (1, 1)
    done.refresh_from_db()
    assert done.is_active is False and TaskCompletion.objects.filter(task=done).exists()
    assert not RoadmapTask.objects.filter(code="yt-d02-task").exists()


@pytest.mark.django_db
def test_invalid_content_is_refused_and_nothing_is_written(content):
    content.write("tiktok", [_task("tiktok", day) for day in range(1, 90)])  # day 90 missing

    with pytest.raises(CommandError, match=r"no task on days \[90\]"):
        call_command("load_content", base_dir=str(content.path))

    assert not RoadmapTask.objects.exists() and not Plan.objects.exists()


@pytest.mark.django_db
def test_the_repos_own_content_loads_every_platform_with_real_copy():
    call_command("load_content")

    for platform in PREFIX:
        tasks = RoadmapTask.objects.filter(platform=platform)
        assert set(tasks.values_list("day", flat=True)) == set(range(1, 91))
        assert all(len(t.body) > 80 and len(t.why) > 40 and len(t.success) > 30 for t in tasks)
        assert len(set(tasks.values_list("title", flat=True))) == tasks.count()


@pytest.mark.django_db
def test_completions_see_what_load_content_changed(content):
    """Completion reads tasks and milestones from this process's copy of the catalogue; a load
    that changes the catalogue gives it a new version, and the next completion reads it anew."""
    from core.catalog import catalogue_version
    from core.errors import NotFound
    from tasks.services.completion import task_complete

    content_load(base_dir=content.path)
    first, second = CreatorFactory(platform="youtube"), CreatorFactory(platform="youtube")
    old_day_3 = RoadmapTask.objects.get(code="yt-d03-task")
    assert task_complete(user=first, task_id=old_day_3.pk).new_achievements[0].milestone.title == "First step"
    version = catalogue_version()

    path = content.path / "milestones/content/milestones.yaml"
    path.write_text(path.read_text().replace("title: First step,", "title: Off we go,"))
    tasks = [_task("youtube", day) for day in range(1, 91)]
    tasks[2]["code"] = "yt-d03-new"  # day 3's task is replaced; the old one is retired (completed)
    content.write("youtube", tasks)
    content_load(base_dir=content.path)

    assert catalogue_version() != version
    with pytest.raises(NotFound):
        task_complete(user=second, task_id=old_day_3.pk)
    result = task_complete(user=second, task_id=RoadmapTask.objects.get(code="yt-d03-new").pk)
    assert [a.milestone.title for a in result.new_achievements] == ["Off we go"]
