"""Content ideas: a creator saves ideas (metered: usage feature `ideas`, per day in their time
zone), optionally attached to a task of a roadmap they follow; edits and deletes are free."""

from django.utils import timezone

from accounts import selectors as account_selectors
from core.errors import InvalidInput, NotFound
from core.transactions import durable_service
from tasks.models import ContentIdea, RoadmapTask
from usage import services as usage_services
from usage.models import Feature

TITLE_MAX = ContentIdea._meta.get_field("title").max_length
NOTES_MAX = 2000
UNSET = object()  # a PATCH field that was not sent


def _check_title(title, errors):
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["Give your idea a title."]
    elif len(title.strip()) > TITLE_MAX:
        errors["title"] = [f"At most {TITLE_MAX} characters."]


def _check_notes(notes, errors):
    if not isinstance(notes, str) or len(notes) > NOTES_MAX:
        errors["notes"] = [f"Text of at most {NOTES_MAX} characters."]


def _check_task_id(task_id, errors):
    if task_id is not None and (not isinstance(task_id, int) or isinstance(task_id, bool)):
        errors["task"] = ["A task id, or null."]


def _task_for(*, user, task_id):
    """The active task `task_id` on a roadmap the creator follows (InvalidInput otherwise)."""
    if task_id is None:
        return None
    task = RoadmapTask.objects.filter(
        pk=task_id, is_active=True, platform__in=account_selectors.platforms_followed(user=user)
    ).first()
    if task is None:
        raise InvalidInput(fields={"task": ["No such task on your roadmaps."]})
    return task


def idea_create_input(*, user, title, notes, task_id, now):
    """idea_create's checks, before its transaction (InvalidInput naming each bad field)."""
    errors = {}
    _check_title(title, errors)
    _check_notes(notes, errors)
    _check_task_id(task_id, errors)
    InvalidInput.raise_if_any(errors)
    return {"user": user, "title": title.strip(), "notes": notes, "task_id": task_id, "now": now or timezone.now()}


@durable_service("tasks.idea_create", validate=idea_create_input)
def idea_create(*, user, title, notes="", task_id=None, now=None):
    """Save an idea, counted against the plan's ideas per day. Raises InvalidInput (400),
    LimitReached (429: with the limit, what is used and when it resets)."""
    task = _task_for(user=user, task_id=task_id)
    # Count first: a refusal inserts nothing; a failure after it rolls the count back with it.
    usage_services.usage_consume(user=user, feature=Feature.IDEAS, now=now)
    return ContentIdea.objects.create(user=user, task=task, title=title, notes=notes, created_at=now, updated_at=now)


def idea_update_input(*, user, idea_id, title, notes, task_id, now):
    """idea_update's checks, before its transaction, of the fields given (InvalidInput)."""
    errors = {}
    if title is not UNSET:
        _check_title(title, errors)
        title = title.strip() if isinstance(title, str) else title
    if notes is not UNSET:
        _check_notes(notes, errors)
    if task_id is not UNSET:
        _check_task_id(task_id, errors)
    InvalidInput.raise_if_any(errors)
    return {"user": user, "idea_id": idea_id, "title": title, "notes": notes, "task_id": task_id, "now": now or timezone.now()}


@durable_service("tasks.idea_update", validate=idea_update_input)
def idea_update(*, user, idea_id, title=UNSET, notes=UNSET, task_id=UNSET, now=None):
    """Change an idea's title, notes or task (None detaches it); a field not given is kept.
    Raises InvalidInput (400), NotFound (another creator's idea, or none)."""
    changes = {field: value for field, value in (("title", title), ("notes", notes)) if value is not UNSET}
    if task_id is not UNSET:
        changes["task"] = _task_for(user=user, task_id=task_id)
    # One UPDATE, scoped to the creator: someone else's idea is not found, not forbidden.
    if not ContentIdea.objects.filter(pk=idea_id, user=user).update(**changes, updated_at=now):
        raise NotFound("No such idea.")
    return ContentIdea.objects.select_related("task").get(pk=idea_id)


@durable_service("tasks.idea_delete")
def idea_delete(*, user, idea_id):
    """Delete an idea. What was used of the day's ideas stays used. Another creator's idea
    (or one already deleted) is NotFound."""
    deleted, _ = ContentIdea.objects.filter(pk=idea_id, user=user).delete()
    if not deleted:
        raise NotFound("No such idea.")
