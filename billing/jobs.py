"""Billing emails (django-tasks jobs): receipt, payment failed, subscription cancelled. Each
is keyed so that a redelivered event, or a job run twice, sends it once."""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from accounts.selectors import active_user
from billing.models import Entitlement, EntitlementStatus, Payment
from billing.services import account_closing
from billing.stripe_api import invoice_is_paid
from core.email import email_job, send_once


def _billing_url():
    return f"{settings.SITE_URL}{reverse('billing')}"


@email_job
def send_receipt_email(payment_id):
    payment = Payment.objects.select_related("user__profile", "plan").filter(pk=payment_id, user__isnull=False).first()
    if payment is None:  # gone, or its creator deleted their account (a tombstone's payment)
        return "skipped"
    context = {"user": payment.user, "payment": payment, "billing_url": _billing_url()}
    return send_once(key=f"receipt:{payment.stripe_invoice_id}", template="receipt", context=context, to=payment.user.email)


@email_job
def send_payment_failed_email(user_id, invoice_id):
    user = active_user(user_id=user_id)
    if user is None or Payment.objects.filter(stripe_invoice_id=invoice_id).exists() or invoice_is_paid(invoice_id):
        # No creator, or the invoice was paid since (Stripe's retry may succeed before its
        # invoice.paid reaches us, so Stripe is asked): the email would be untrue.
        return "skipped"
    return send_once(key=f"payment_failed:{invoice_id}", template="payment_failed",
                     context={"user": user, "billing_url": _billing_url()}, to=user.email)


@email_job
def send_subscription_cancelled_email(user_id, subscription_id):
    user = active_user(user_id=user_id)
    revived = Entitlement.objects.filter(user_id=user_id, stripe_subscription_id=subscription_id).exclude(
        status=EntitlementStatus.CANCELED
    )
    if user is None or revived.exists():
        return "skipped"  # the entitlement says this subscription has not ended: the email would be untrue
    return send_once(key=f"cancelled:{subscription_id}", template="subscription_cancelled",
                     context={"user": user, "billing_url": _billing_url()}, to=user.email)


@task()
def stripe_customer_email_sync(user_id):
    """Tell Stripe the creator's new address (queued by the email change, in its transaction):
    runs after the commit, outside any transaction; the address is read now, so a second change
    before it runs sends the newest one."""
    user = active_user(user_id=user_id)
    if user is None:
        return "skipped"
    return account_closing.stripe_customer_email_sync(user_id=user_id, email=user.email) or "no_customer"
