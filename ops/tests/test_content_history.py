"""Content has a history (docs/content-and-audit.md): what each catalogue edit means for creators
who already completed, achieved or advanced, held the same by the hot path, the audit, the
replay and --fix. Every edit goes through load_content, as an editor's would."""

import datetime

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Enrollment
from accounts.tests.factories import CreatorFactory
from core.testing.jobs import queued_job_names
from milestones.models import Celebration, Milestone, MilestoneAchievement
from milestones.services import achievement_share
from ops import audit, repair
from ops.tests.test_load_content import _task, content  # noqa: F401 (the fixture)
from tasks.models import RoadmapTask
from tasks.services.completion import task_complete

START_AT = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone.utc)


def youtube_days(days, extra=()):
    return [_task("youtube", day) for day in days] + list(extra)


def milestones_yaml(content):
    return content.path / "milestones/content/milestones.yaml"


def edit_milestones(content, change):
    data = yaml.safe_load(milestones_yaml(content).read_text())
    change(data["milestones"])
    milestones_yaml(content).write_text(yaml.safe_dump(data))


def creator_who_completed(days, codes=()):
    """A free creator (days 1-30) on YouTube who completed the tasks of `days`, then those of
    `codes`, one a day, with milestone emails."""
    user = CreatorFactory(platform="youtube", timezone="UTC")
    Enrollment.objects.filter(user=user).update(created_at=START_AT - datetime.timedelta(days=1))
    user.profile.milestone_emails = True
    user.profile.save(update_fields=["milestone_emails"])
    for n, code in enumerate([f"yt-d{day:02d}-task" for day in days] + list(codes)):
        task_id = RoadmapTask.objects.get(code=code).pk
        task_complete(user=user, task_id=task_id, now=START_AT + datetime.timedelta(days=n))
    return user


def earned_state(user):
    """What the creator was given and shown: achievements (with share tokens and dates), their
    celebrations, each enrollment's week."""
    return (
        sorted(MilestoneAchievement.objects.filter(user=user).values_list("pk", "milestone__code", "achieved_at",
                                                                           "share_token")),
        sorted(Celebration.objects.filter(user=user).values_list("pk", "achievement_id", "seen_at")),
        sorted(Enrollment.objects.filter(user=user).values_list("platform", "current_phase", "current_week")),
    )


def phase_1(user):
    return MilestoneAchievement.objects.filter(user=user, milestone__code="phase-1")


@pytest.mark.django_db
def test_a_task_added_to_a_finished_phase_takes_nothing_back(content):
    # Given a creator who finished YouTube phase 1 and shared "Foundation complete"
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    user = creator_who_completed(range(1, 31))
    token = achievement_share(user=user, milestone_id=Milestone.objects.get(code="phase-1").pk).share_token
    assert Enrollment.objects.get(user=user).current_phase == 2
    before, emails = earned_state(user), queued_job_names().count("send_milestone_email")

    # When an editor adds a task to phase 1 (day 10)
    extra = {**_task("youtube", 10), "code": "yt-d10-extra", "order": 2}
    content.write("youtube", youtube_days(range(1, 91), [extra]))
    call_command("load_content", base_dir=str(content.path), verbosity=0)

    # Then the audit finds nothing (it found 2 breaches on this healthy data) and --fix changes nothing
    assert audit.audit() == []
    call_command("audit_integrity", "--fix")
    repair.repair([audit.Breach("stats_equal_completions", {"user_id": user.pk}, "forced")])
    assert earned_state(user) == before
    assert Client().get(f"/m/{token}").status_code == 200

    # When the creator does the new task, then no second achievement, celebration or email
    result = task_complete(user=user, task_id=RoadmapTask.objects.get(code="yt-d10-extra").pk,
                           now=START_AT + datetime.timedelta(days=31))
    assert result.created and result.new_achievements == []
    assert phase_1(user).count() == 1 and Celebration.objects.filter(achievement__in=phase_1(user)).count() == 1
    assert queued_job_names().count("send_milestone_email") == emails
    assert audit.audit() == []


@pytest.mark.django_db
def test_a_task_moved_or_removed_after_its_completion_moves_no_one_back(content):
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    user = creator_who_completed(range(1, 31))
    before = earned_state(user)

    # When day 5's task moves to day 40 and day 6's is removed (kept retired: it was completed)
    moved = [{**_task("youtube", 40), "code": "yt-d05-task", "order": 2}]
    content.write("youtube", youtube_days([d for d in range(1, 91) if d not in (5, 6)], moved)
                  + [_task("youtube", 5) | {"code": "yt-d05-new"}, _task("youtube", 6) | {"code": "yt-d06-new"}])
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    assert not RoadmapTask.objects.get(code="yt-d06-task").is_active

    # Then nothing the creator earned or reached changed, and the audit agrees
    assert audit.audit() == []
    call_command("audit_integrity", "--fix")
    assert earned_state(user) == before


@pytest.mark.django_db
def test_a_removed_task_that_leaves_a_phase_done_grants_it_once_without_email(content):
    # Given a creator who did every task of phase 1 but day 30's (day 28 has two)
    second_28 = _task("youtube", 28) | {"code": "yt-d28-second", "order": 2}
    content.write("youtube", youtube_days(range(1, 91), [second_28]))
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    user = creator_who_completed(range(1, 30), ["yt-d28-second"])
    assert not phase_1(user).exists()
    emails = queued_job_names().count("send_milestone_email")

    # When day 30's task is removed (day 28's second task moves there)
    content.write("youtube", youtube_days([d for d in range(1, 91) if d != 30], [second_28 | {"day": 30}]))
    call_command("load_content", base_dir=str(content.path), verbosity=0)

    # Then load_content granted phase 1, dated by their last task of it, with a celebration to see, no email
    [granted] = phase_1(user)
    assert granted.achieved_at == START_AT + datetime.timedelta(days=29)
    assert Celebration.objects.get(achievement=granted).seen_at is None
    assert queued_job_names().count("send_milestone_email") == emails
    assert audit.audit() == []

    # And loading again grants nothing twice
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    assert phase_1(user).count() == 1 and Celebration.objects.filter(achievement=granted).count() == 1


@pytest.mark.django_db
def test_a_milestone_added_is_granted_to_those_who_crossed_it_and_removed_ones_stay(content):
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    ahead, behind = creator_who_completed(range(1, 8)), creator_who_completed(range(1, 3))

    # When a "6 tasks" milestone is added and "tasks-5" removed
    edit_milestones(content, lambda rows: rows.append(
        {"code": "tasks-6", "kind": "tasks_completed", "threshold": 6, "title": "Six", "message": "Six tasks."}))
    edit_milestones(content, lambda rows: rows.remove(next(r for r in rows if r["code"] == "tasks-5")))
    call_command("load_content", base_dir=str(content.path), verbosity=0)

    # Then the creator past it has it, dated by their 6th completion, with a celebration; tasks-5 stays theirs
    six = MilestoneAchievement.objects.get(user=ahead, milestone__code="tasks-6")
    assert six.achieved_at == START_AT + datetime.timedelta(days=5)
    assert Celebration.objects.get(achievement=six).seen_at is None
    assert MilestoneAchievement.objects.filter(user=ahead, milestone__code="tasks-5").exists()
    assert not MilestoneAchievement.objects.filter(user=behind, milestone__code="tasks-6").exists()
    assert audit.audit() == []


@pytest.mark.django_db
def test_the_terms_of_an_achieved_milestone_cannot_change(content):
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    creator_who_completed(range(1, 6))  # achieved tasks-5

    edit_milestones(content, lambda rows: next(r for r in rows if r["code"] == "tasks-5").update(threshold=4))
    with pytest.raises(CommandError, match="tasks-5"):
        call_command("load_content", base_dir=str(content.path), verbosity=0)
    assert Milestone.objects.get(code="tasks-5").threshold == 5

    # A milestone nobody achieved yet may change
    edit_milestones(content, lambda rows: next(r for r in rows if r["code"] == "tasks-5").update(threshold=5))
    edit_milestones(content, lambda rows: next(r for r in rows if r["code"] == "tasks-10").update(threshold=11))
    call_command("load_content", base_dir=str(content.path), verbosity=0)
    assert Milestone.objects.get(code="tasks-10").threshold == 11
