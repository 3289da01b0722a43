"""Create or show the Stripe webhook endpoint of an environment and its signing secret."""

import uuid

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from djstripe.models import WebhookEndpoint

from billing import stripe_api
from billing.services.checkout import owner_account_ready

EVENTS = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.updated",
    "customer.deleted",
]


class Command(BaseCommand):
    help = (
        "Show the webhook endpoint for --base-url (SITE_URL by default), creating it on Stripe if "
        "it does not exist yet. --local creates it only here, with a generated secret, for a local "
        "Stripe emulator or `stripe listen --forward-to`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=settings.SITE_URL)
        parser.add_argument("--local", action="store_true")

    def handle(self, *args, base_url, local, **options):
        endpoint = WebhookEndpoint.objects.filter(url__startswith=f"{base_url.rstrip('/')}/stripe/webhook/").first()
        if endpoint is None:
            endpoint = self._create(base_url.rstrip("/"), local)
        self.stdout.write(f"url:    {endpoint.url}")
        self.stdout.write(f"secret: {endpoint.secret}")
        self.stdout.write(f"events: {', '.join(endpoint.enabled_events)}")

    def _create(self, base_url, local):
        endpoint_uuid = uuid.uuid4()
        url = base_url + reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint_uuid})
        if local:
            data = {"id": f"we_local_{endpoint_uuid.hex[:16]}", "object": "webhook_endpoint", "livemode": False,
                    "url": url, "enabled_events": EVENTS, "status": "enabled", "api_version": settings.STRIPE_API_VERSION,
                    "secret": f"whsec_{uuid.uuid4().hex}", "metadata": {}, "application": None, "description": "local"}
        else:
            try:
                data = stripe.WebhookEndpoint.create(
                    url=url, enabled_events=EVENTS, api_version=settings.STRIPE_API_VERSION, api_key=stripe_api.api_key(),
                    description="CreatorCompass", stripe_version=settings.STRIPE_API_VERSION,  # the events' and the request's
                )
            except stripe.StripeError as exc:
                raise CommandError(f"Stripe refused to create the endpoint: {exc}") from exc
        owner_account_ready()  # so that the sync below fetches nothing inside its transaction
        endpoint = WebhookEndpoint.sync_from_stripe_data(data, api_key=stripe_api.api_key())
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(djstripe_uuid=endpoint_uuid, secret=data["secret"])
        endpoint.refresh_from_db()
        return endpoint
