from django.apps import AppConfig


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
