from django.contrib import admin

from usage.models import UsageCounter


@admin.register(UsageCounter)
class UsageCounterAdmin(admin.ModelAdmin):
    """Read-only: counters change only through usage's services (one conditional UPDATE)."""

    list_display = ["user", "feature", "period_start", "starts_at", "resets_at", "used", "closed_at"]
    list_filter = ["feature", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    ordering = ["user__email", "feature", "-starts_at"]
    readonly_fields = [f.name for f in UsageCounter._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
