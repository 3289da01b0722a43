import logging

from django.apps import AppConfig

logger = logging.getLogger("creatorcompass.jobs")


def log_failed_job(task_result):
    """One line per failed job, under the request id and service that enqueued it."""
    from core.email import job_origin
    from core.logs import request_id_var

    request_id, service = job_origin(task_result)
    token = request_id_var.set(request_id)
    try:
        error = task_result.errors[-1].exception_class_path if task_result.errors else "-"
        logger.error("job failed task=%s job_id=%s service=%s error=%s", task_result.task.name, task_result.id,
                     service, error, extra={"service": service, "job_id": str(task_result.id)})
    finally:
        request_id_var.reset(token)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.urls import register_converter

        from core.converters import IdConverter

        register_converter(IdConverter, "id")

        from django_tasks.signals import task_finished

        from core import (
            checks,  # noqa: F401 (registers the outbox check)
            db_router,
            metrics,
        )

        metrics.SCRAPE_TIME.register(db_router.ReplicaLagCollector())

        def count_job(sender, task_result, **kwargs):
            status = str(task_result.status).lower()
            metrics.EMAIL_JOBS.labels(task_result.task.name, status).inc()
            if status == "failed":
                log_failed_job(task_result)

        # weak=False: count_job is local to ready(); a weak reference to it dies with this frame.
        task_finished.connect(count_job, weak=False, dispatch_uid="core.metrics.email_jobs")
