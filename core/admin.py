from django.contrib import admin

from core.models import SentEmail


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
