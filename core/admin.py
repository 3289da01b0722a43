from django.contrib import admin, messages
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from core.job_retries import job_retry, jobs_given_up
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


@admin.action(description="Retry now (failed or stuck jobs, those that gave up included)")
def retry_jobs(modeladmin, request, queryset):
    jobs = queryset.filter(status__in=["FAILED", "RUNNING"])
    retried = [job for job in jobs if job_retry(job=job, delay=False, by_ops=True)]
    level = messages.SUCCESS if retried else messages.WARNING
    modeladmin.message_user(request, f"Enqueued {len(retried)} job(s) again.", level)


class GivenUpFilter(admin.SimpleListFilter):
    """The jobs the sweeper stopped retrying (core.job_retries.jobs_given_up): each is an email
    not sent, and alert CreatorCompassJobsGivenUp fires while one is here."""

    title = "retries"
    parameter_name = "retries"

    def lookups(self, request, model_admin):
        return [("given_up", "Given up (attempts used up)")]

    def queryset(self, request, queryset):
        if self.value() == "given_up":
            return queryset.filter(pk__in=jobs_given_up().values("pk"))
        return queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class JobAdmin(DBTaskResultAdmin):
    """django-tasks-db's job admin, plus retrying failed jobs (they are idempotent)."""

    actions = [retry_jobs]
    list_filter = [GivenUpFilter, *DBTaskResultAdmin.list_filter]
