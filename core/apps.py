from django.apps import AppConfig


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
            metrics,
        )

        def count_job(sender, task_result, **kwargs):
            metrics.EMAIL_JOBS.labels(task_result.task.name, str(task_result.status).lower()).inc()

        task_finished.connect(count_job, dispatch_uid="core.metrics.email_jobs")
