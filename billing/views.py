"""Billing pages: pricing (public), the creator's billing page, and the form posts that send
them to Stripe (Checkout, portal) or cancel/resume at period end."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing import checkout, selectors
from billing.models import PlanCode
from core.errors import DomainError


def pricing(request):
    plans = selectors.plans_all()
    current = selectors.plan_for(request.user).code if request.user.is_authenticated and hasattr(request.user, "profile") else None
    return render(request, "billing/pricing.html", {"plans": plans, "current": current, "paid": PlanCode.FREE})


@login_required
def billing(request):
    if not hasattr(request.user, "profile"):
        return redirect("admin:index")
    if request.GET.get("checkout") == "success":
        messages.success(request, "Thank you! Your plan is active as soon as Stripe confirms the payment (usually seconds).")
    return render(request, "billing/billing.html", selectors.billing_overview(user=request.user))


def _stripe_redirect(request, start):
    try:
        return redirect(start())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing")


@login_required
@require_POST
def checkout_start(request):
    return _stripe_redirect(
        request,
        lambda: checkout.checkout_start(
            user=request.user, plan_code=request.POST.get("plan"), interval=request.POST.get("interval", "month")
        ),
    )


@login_required
@require_POST
def portal(request):
    return _stripe_redirect(request, lambda: checkout.portal_start(user=request.user))


def _set_cancel(request, cancel, done):
    try:
        checkout.subscription_set_cancel_at_period_end(user=request.user, cancel=cancel)
        messages.success(request, done)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("billing")


@login_required
@require_POST
def cancel(request):
    return _set_cancel(request, True, "Your plan will end at the end of the paid period. You can resume any time before then.")


@login_required
@require_POST
def resume(request):
    return _set_cancel(request, False, "Welcome back: your plan renews as usual.")
