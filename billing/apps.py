from django.apps import AppConfig


def _stripe_email_sync_enqueue(sender, user_id, **kwargs):
    """Inside the email change's transaction: queue Stripe's update in the same outbox."""
    from billing import jobs

    jobs.stripe_customer_email_sync.enqueue(user_id)


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        # Connect our webhook handlers (after dj-stripe's, which are connected in its ready()).
        from billing import (
            stripe_client,
            webhook_intake,
            webhooks,  # noqa: F401
        )
        from billing.models import Plan
        from core.catalog import catalogue_watch

        catalogue_watch(Plan)  # plans are edited in the admin
        stripe_client.install()
        webhook_intake.install_client_ip()

        from accounts.signals import email_changed

        email_changed.connect(_stripe_email_sync_enqueue, dispatch_uid="billing.stripe_email_sync")
