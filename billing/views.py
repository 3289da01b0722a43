"""Billing pages: pricing (public), the creator's billing page, and the form posts that send
them to Stripe (Checkout, portal) or cancel/resume at period end."""

import json
import logging

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from djstripe.views import ProcessWebhookView

from accounts.decorators import creator_required
from billing import checkout, selectors
from core.errors import DomainError

logger = logging.getLogger("creatorcompass.billing")


def pricing(request):
    is_creator = request.user.is_authenticated and hasattr(request.user, "profile")
    current = selectors.plan_for(request.user).code if is_creator else None
    return render(request, "billing/pricing.html", {"plans": selectors.plans_all(), "current": current})


@creator_required
def billing(request):
    overview = selectors.billing_overview(user=request.user)
    if request.GET.get("checkout") == "success":
        # Stripe's confirmation (the webhook) usually lands before the creator is back here.
        if overview["plan"].is_paid:
            messages.success(request, f"Thank you! You are on {overview['plan'].name}: all 90 days of your roadmap are open.")
        else:
            messages.success(request, "Thank you! Your plan is active as soon as Stripe confirms the payment (usually seconds).")
    return render(request, "billing/billing.html", overview)


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


class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's webhook view with two guards found by the fuzz in
    billing/tests/test_webhook_fuzz.py: a body that is not a JSON object is refused before
    dj-stripe (its validation assumed one and answered 500 to `0` or `[]`), and an event whose
    contents cannot be what its type says (an invoice in a subscription event, a number where an
    id belongs) is a 400, not a 500 that Stripe would retry forever; so is one naming an object
    Stripe says does not exist
    (`InvalidRequestError`: retrying cannot help). dj-stripe has rolled the event back and kept
    the delivery with its traceback for ops. Any other failure (Stripe unreachable, our database)
    stays a 500, so Stripe redelivers."""

    MALFORMED = (ValueError, KeyError, TypeError, AttributeError, stripe.InvalidRequestError)

    def post(self, request, uuid):
        try:
            is_object = isinstance(json.loads(request.body or b"null"), dict)
        except (ValueError, UnicodeDecodeError):
            is_object = False
        if not is_object:
            return HttpResponseBadRequest("a Stripe event is a JSON object")
        try:
            return super().post(request, uuid)
        except self.MALFORMED as exc:
            logger.warning("malformed Stripe event refused: %s", exc)
            return HttpResponseBadRequest("malformed event")
