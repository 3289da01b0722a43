"""Billing emails (django-tasks jobs): receipt, payment failed, subscription cancelled. Each
is keyed so that a redelivered event, or a job run twice, sends it once."""

from django.conf import settings
from django.urls import reverse

from accounts.selectors import active_user
from billing.models import Payment
from core.email import email_job, send_once


def _billing_url():
    return f"{settings.SITE_URL}{reverse('billing')}"


@email_job
def send_receipt_email(payment_id):
    payment = Payment.objects.select_related("user__profile", "plan").filter(pk=payment_id).first()
    if payment is None:
        return "skipped"
    context = {"user": payment.user, "payment": payment, "billing_url": _billing_url()}
    return send_once(key=f"receipt:{payment.stripe_invoice_id}", template="receipt", context=context, to=payment.user.email)


@email_job
def send_payment_failed_email(user_id, invoice_id):
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    return send_once(key=f"payment_failed:{invoice_id}", template="payment_failed",
                     context={"user": user, "billing_url": _billing_url()}, to=user.email)


@email_job
def send_subscription_cancelled_email(user_id, subscription_id):
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    return send_once(key=f"cancelled:{subscription_id}", template="subscription_cancelled",
                     context={"user": user, "billing_url": _billing_url()}, to=user.email)
