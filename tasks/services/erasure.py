"""Tasks' part of an account deletion."""

from tasks.models import ContentIdea, TaskCompletion


def creator_tasks_erase(*, user_id):
    """Delete a creator's completions (with their notes) and content ideas (their account is being
    deleted). Call inside the deletion's transaction."""
    TaskCompletion.objects.filter(user_id=user_id).delete()
    ContentIdea.objects.filter(user_id=user_id).delete()
