"""Billing emails (django-tasks jobs): receipt, payment failed, subscription cancelled. Each
is keyed so that a redelivered event, or a job run twice, sends it once."""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from accounts.models import User
from billing.models import Payment
from core.email import deliver_once, render_email


def _billing_url():
    return f"{settings.SITE_URL}{reverse('billing')}"


def _user(user_id):
    return User.objects.select_related("profile").filter(pk=user_id, is_active=True).first()


@task()
def send_receipt_email(payment_id):
    payment = Payment.objects.select_related("user__profile", "plan").filter(pk=payment_id).first()
    if payment is None:
        return "skipped"
    context = {"user": payment.user, "payment": payment, "billing_url": _billing_url()}
    message = render_email("receipt", context, to=payment.user.email)
    return deliver_once(key=f"receipt:{payment.stripe_invoice_id}", message=message)


@task()
def send_payment_failed_email(user_id, invoice_id):
    user = _user(user_id)
    if user is None:
        return "skipped"
    message = render_email("payment_failed", {"user": user, "billing_url": _billing_url()}, to=user.email)
    return deliver_once(key=f"payment_failed:{invoice_id}", message=message)


@task()
def send_subscription_cancelled_email(user_id, subscription_id):
    user = _user(user_id)
    if user is None:
        return "skipped"
    message = render_email("subscription_cancelled", {"user": user, "billing_url": _billing_url()}, to=user.email)
    return deliver_once(key=f"cancelled:{subscription_id}", message=message)
