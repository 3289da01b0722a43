"""Run queued django-tasks jobs in a test, through django-tasks-db's own worker code."""

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_queued_jobs():
    """Run every ready job once, like `manage.py db_worker --batch`, and return their results.

    The worker's outer loop closes "obsolete" connections, which would close the connection a
    test runs in; so we claim each job as the loop does and hand it to Worker.run_task, the
    code that runs jobs in production.
    """
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    finished = []
    while (job := DBTaskResult.objects.ready().first()) is not None:
        job.claim(worker.worker_id)
        worker.run_task(job)
        job.refresh_from_db()
        finished.append(job)
    return finished


def queued_job_names():
    """The task names of every job stored so far, oldest first (e.g. ["send_welcome_email"])."""
    return [path.rsplit(".", 1)[1] for path in DBTaskResult.objects.order_by("enqueued_at").values_list("task_path", flat=True)]
