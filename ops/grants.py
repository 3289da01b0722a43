"""Milestones a catalogue change gives to creators who already crossed them (docs/content-and-
audit.md): a milestone added, or a phase that a removed task leaves with no open task for
someone. Granted set-based, a batch of creators per transaction, dated by the completion that
crossed it, with a pending celebration (the creator sees it once, in the app) and no email.
`manage.py load_content` runs it after loading; `manage.py grant_milestones` runs it alone."""

from core.transactions import durable_service
from milestones import services as milestone_services
from ops import audit_sql
from ops.audit_query import rows

BATCH_CREATORS = 10_000


def crossed_sql(users):
    """SELECT (user_id, milestone_id, achieved_at): every active milestone the completions of the
    creators with ids in `users` (first, last) crossed, once, at the first crossing."""
    return (
        audit_sql.with_ctes(audit_sql.steps(users), audit_sql.earned(users))
        + "SELECT e.user_id, e.milestone_id, MIN(e.at) AS achieved_at FROM earned e "
        "JOIN milestones_milestone m ON m.id = e.milestone_id AND m.is_active GROUP BY e.user_id, e.milestone_id"
    )


@durable_service("ops.milestones_grant_batch")
def milestones_grant_batch(*, users):
    """Grant what the completions of the creators with ids in `users` (first, last) crossed and
    they lack. One transaction. Returns how many were granted."""
    return milestone_services.achievements_grant_crossed(crossed_sql=crossed_sql(users))


def milestones_grant_crossed(*, batch=BATCH_CREATORS, on_batch=None):
    """Grant every crossed milestone a creator lacks, `batch` creators (by id range) per
    transaction. Returns how many were granted."""
    [bounds] = rows("SELECT MIN(user_id) AS first, MAX(user_id) AS last FROM tasks_taskcompletion")
    granted = 0
    if bounds["first"] is None:
        return granted
    for first in range(bounds["first"], bounds["last"] + 1, batch):
        granted += milestones_grant_batch(users=(first, first + batch - 1))
        if on_batch is not None:
            on_batch(first, granted)
    return granted
