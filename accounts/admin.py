from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError

from accounts.models import CreatorProfile, CreatorStats, Enrollment, User
from accounts.selectors import email_confusable_taken


class CreatorProfileInline(admin.StackedInline):
    model = CreatorProfile
    can_delete = False
    extra = 0


class CreatorStatsInline(admin.StackedInline):
    """Read-only: stats are derived from completions and change only through services."""

    model = CreatorStats
    can_delete = False
    extra = 0
    readonly_fields = ["points", "tasks_completed", "current_streak", "longest_streak", "last_active_on"]

    def has_add_permission(self, request, obj=None):
        return False


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    readonly_fields = ["platform", "started_on", "current_phase", "current_week", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class CreatorChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email_confusable_taken(email=email, exclude_user_id=self.instance.pk):
            raise ValidationError("Another account has this address or one that looks like it.")
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Creators are made by signup (User, profile, stats and enrollment in one transaction),
    so ops edit and search here but do not add users; staff accounts come from createsuperuser."""

    form = CreatorChangeForm
    ordering = ["-date_joined"]
    list_display = ["email", "display_name", "platform", "points", "is_verified", "is_active", "date_joined"]
    list_filter = ["is_active", "is_staff", "profile__platform"]
    list_select_related = ["profile", "stats"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login", "email_verified_at"]
    inlines = [CreatorProfileInline, CreatorStatsInline, EnrollmentInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Status", {"fields": ["is_active", "email_verified_at", "date_joined", "last_login"]}),
        ("Permissions", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Name", ordering="profile__display_name")
    def display_name(self, user):
        return getattr(getattr(user, "profile", None), "display_name", "—")

    @admin.display(description="Platform", ordering="profile__platform")
    def platform(self, user):
        return getattr(getattr(user, "profile", None), "platform", "—")

    @admin.display(description="Points", ordering="stats__points")
    def points(self, user):
        return getattr(getattr(user, "stats", None), "points", 0)

    @admin.display(description="Verified", boolean=True)
    def is_verified(self, user):
        return user.is_verified
