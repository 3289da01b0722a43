from django.contrib import admin, messages
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from core.job_retries import job_retry
from core.models import JobRetry, SentEmail


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    list_display = ["key", "to", "subject", "created_at", "sent_at"]
    search_fields = ["key", "to"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in SentEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobRetry)
class JobRetryAdmin(admin.ModelAdmin):
    list_display = ["job_id", "retried_as", "attempt", "created_at"]
    readonly_fields = [f.name for f in JobRetry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.action(description="Retry now (failed or stuck jobs)")
def retry_jobs(modeladmin, request, queryset):
    retried = [job for job in queryset.filter(status__in=["FAILED", "RUNNING"]) if job_retry(job=job, delay=False)]
    level = messages.SUCCESS if retried else messages.WARNING
    modeladmin.message_user(request, f"Enqueued {len(retried)} job(s) again.", level)


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(DBTaskResultAdmin):
    """django-tasks-db's job admin, plus retrying failed jobs (they are idempotent)."""

    actions = [retry_jobs]
