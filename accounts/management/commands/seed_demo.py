from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.emails import email_canonical
from accounts.models import User
from accounts.tokens import verification_token_make

DEMO_EMAIL = "demo@creatorcompass.local"
DEMO_PASSWORD = "demo-creator-2026"
OPS_EMAIL = "ops@creatorcompass.local"
OPS_PASSWORD = "ops-admin-2026"


class Command(BaseCommand):
    help = "Create the demo creator (verified) and an ops admin, once; print their logins (DEBUG only unless --force)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Run with DEBUG off too: the ops admin's password is published in the README.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates a superuser whose password is public (README): refused with DEBUG off. "
                "Use --force on a throwaway database."
            )
        if not User.objects.filter(email_canonical=email_canonical(DEMO_EMAIL)).exists():
            user = services.user_signup(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                platform="youtube",
                niche="education",
                timezone="UTC",
                display_name="Demo Creator",
            ).user
            services.email_verify(token=verification_token_make(user))
        if not User.objects.filter(email_canonical=email_canonical(OPS_EMAIL)).exists():
            User.objects.create_superuser(OPS_EMAIL, OPS_PASSWORD)
        self.stdout.write(f"Demo creator: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"Ops admin (/admin/): {OPS_EMAIL} / {OPS_PASSWORD}")
