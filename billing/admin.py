from django import forms
from django.contrib import admin, messages
from django.shortcuts import render

from accounts.admin import UserAdmin
from billing.models import Entitlement, FailedWebhookDelivery, Payment, Plan, PlanCode
from billing.services import checkout, grants
from core.errors import DomainError


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "roadmap_days", "monthly_price_cents", "yearly_price_cents"]

    def has_add_permission(self, request):
        return False  # the catalogue is data in the repo: manage.py load_content

    def has_delete_permission(self, request, obj=None):
        return False


class GrantPlanForm(forms.Form):
    plan = forms.ChoiceField(choices=PlanCode.choices)
    current_period_end = forms.DateTimeField(required=False, help_text="Empty: until changed.")


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["user", "plan", "status", "current_period_end", "source", "updated_at"]
    list_filter = ["plan", "status", "source"]
    search_fields = ["user__email"]
    list_select_related = ["user", "plan"]
    readonly_fields = ["user", "plan", "status", "current_period_end", "source", "updated_at"]

    actions = ["resync_from_stripe"]

    def has_add_permission(self, request):
        return False  # grant from the user list (action "Grant a plan") so it goes through the service

    @admin.action(description="Resync from Stripe")
    def resync_from_stripe(self, request, queryset):
        for entitlement in queryset.select_related("user"):
            try:
                checkout.customer_resync(user=entitlement.user)
            except DomainError as exc:
                self.message_user(request, f"{entitlement.user}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{entitlement.user}: resynced from Stripe.")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_at", "user", "plan", "amount", "currency", "number", "stripe_invoice_id"]
    list_filter = ["plan", "currency"]
    search_fields = ["user__email", "stripe_invoice_id", "number"]
    list_select_related = ["user", "plan"]
    date_hierarchy = "paid_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Payment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(FailedWebhookDelivery)
class FailedWebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created", "event_type", "valid", "processed", "exception"]
    list_filter = ["valid"]
    readonly_fields = ["created", "event_type", "valid", "processed", "exception", "traceback", "remote_ip", "body"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(processed=False)

    @admin.display(description="Event")
    def event_type(self, trigger):
        return trigger.json_body.get("type", "?")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def grant_plan(modeladmin, request, queryset):
    """Admin action on users: grant a plan through billing's service, one creator at a time."""
    form = GrantPlanForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        for user in queryset:
            try:
                grants.entitlement_grant(
                    user=user,
                    plan_code=form.cleaned_data["plan"],
                    current_period_end=form.cleaned_data["current_period_end"],
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{user}: {exc.message}", messages.ERROR)
                return None
        modeladmin.message_user(request, f"Granted {form.cleaned_data['plan']} to {queryset.count()} creator(s).")
        return None
    return render(
        request,
        "admin/billing/grant_plan.html",
        {**modeladmin.admin_site.each_context(request), "users": queryset, "form": form, "title": "Grant a plan"},
    )


grant_plan.short_description = "Grant a plan"


# Accounts may not import billing (dependencies point one way), so billing adds its action
# to the user admin.
UserAdmin.actions = [*(UserAdmin.actions or []), grant_plan]
