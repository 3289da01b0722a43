"""Billing pages: pricing (public), the creator's billing page, and the form posts that send
them to Stripe (Checkout, portal) or cancel/resume at period end."""

import logging

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.views import ProcessWebhookView

from accounts.decorators import creator_required
from billing import forms, selectors, webhook_intake
from billing.services import checkout
from core.bodylimits import JSONBodyError, json_loads_limited
from core.metrics import WEBHOOK_EVENTS
from core.middleware import database_failure_kind
from core.page_errors import page_errors

logger = logging.getLogger("creatorcompass.billing")
_UNKNOWN_CHOICE = "That choice is not one we offer. Pick a plan on this page."


def pricing(request):
    is_creator = request.user.is_authenticated and hasattr(request.user, "profile")
    current = selectors.plan_for(request.user).code if is_creator else None
    return render(request, "billing/pricing.html", {"plans": selectors.plans_all(), "current": current})


@creator_required
def billing(request):
    overview = selectors.billing_overview(user=request.user)
    query = forms.cleaned(forms.BillingPageForm(request.GET)) or {}
    if query.get("checkout") == "success":
        # Stripe's confirmation (the webhook) usually lands before the creator is back here.
        if overview["plan"].is_paid:
            messages.success(request, f"Thank you! You are on {overview['plan'].name}: all 90 days of your roadmap are open.")
        else:
            messages.success(request, "Thank you! Your plan is active as soon as Stripe confirms the payment (usually seconds).")
    return render(request, "billing/billing.html", overview)


@login_required
@require_POST
@page_errors(redirect="billing")
def checkout_start(request):
    data = forms.cleaned(forms.CheckoutForm(request.POST))
    if data is None:
        messages.error(request, _UNKNOWN_CHOICE)
        return redirect("billing")
    return redirect(
        checkout.checkout_start(
            user=request.user, plan_code=data["plan"], interval=data["interval"] or "month",
            idempotency_key=data["intent_key"] or None,
        )
    )


@login_required
@require_POST
@page_errors(redirect="billing")
def portal(request):
    return redirect(checkout.portal_start(user=request.user))


def _set_cancel(request, cancel, done):
    data = forms.cleaned(forms.IntentForm(request.POST))
    if data is None:
        messages.error(request, _UNKNOWN_CHOICE)
        return redirect("billing")
    checkout.subscription_set_cancel_at_period_end(user=request.user, cancel=cancel, intent_key=data["intent_key"] or None)
    messages.success(request, done)
    return redirect("billing")


@login_required
@require_POST
@page_errors(redirect="billing")
def cancel(request):
    return _set_cancel(request, True, "Your plan will end at the end of the paid period. You can resume any time before then.")


@login_required
@require_POST
@page_errors(redirect="billing")
def resume(request):
    return _set_cancel(request, False, "Welcome back: your plan renews as usual.")


class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's webhook view behind our intake checks (billing.webhook_intake): a body that
    is not a processable Stripe event is a 400 before dj-stripe (found by the fuzz in
    billing/tests/test_webhook_fuzz.py: `0`, `[]`, a NUL in a customer id); a wrongly signed one
    is a 400 with a small capped record; the rest goes to dj-stripe, which processes it in one
    transaction. A failure there is ours (a bug, an outage), not the sender's: dj-stripe rolled the
    event back and kept the delivery with its traceback, billing.webhooks logged and counted it,
    and the answer is a 500 so that Stripe redelivers. Only an event naming an object Stripe says
    does not exist (`InvalidRequestError`: retrying cannot help) is a 400."""

    def post(self, request, uuid):
        try:
            payload = json_loads_limited(request.body or b"null")
        except JSONBodyError as exc:
            WEBHOOK_EVENTS.labels("unverified", "malformed").inc()
            return HttpResponseBadRequest(str(exc))
        reason = webhook_intake.malformed_reason(payload)
        if reason is not None:
            # The type of an unverified body is the sender's choice: one label, not one per type.
            WEBHOOK_EVENTS.labels("unverified", "malformed").inc()
            return HttpResponseBadRequest(reason)
        if "stripe-signature" not in request.headers:
            return HttpResponseBadRequest("no Stripe-Signature")
        endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
        if not webhook_intake.signature_valid(request, endpoint):
            webhook_intake.invalid_delivery_record(request, endpoint)
            WEBHOOK_EVENTS.labels("unverified", "invalid").inc()
            return HttpResponseBadRequest("invalid signature")
        try:
            # dj-stripe's view without its second read of the endpoint.
            trigger = WebhookEventTrigger.from_request(request, webhook_endpoint=endpoint)
        except stripe.InvalidRequestError as exc:
            logger.warning("Stripe event names an object Stripe does not have: %s", exc)
            return HttpResponseBadRequest("the event names an object Stripe does not have")
        except Exception as exc:  # noqa: BLE001 (logged with its traceback and counted by billing.webhooks)
            if database_failure_kind(exc) is not None:
                # No database (a restart, a failover) or a timeout, often before dj-stripe could
                # record the delivery: RequestContextMiddleware logs it and answers 503 with
                # Retry-After, like every other request then. Stripe redelivers either way.
                raise
            return HttpResponseServerError("event processing failed; Stripe will redeliver")
        if not trigger.valid:
            return HttpResponseBadRequest("invalid event")
        return HttpResponse(str(trigger.id))
