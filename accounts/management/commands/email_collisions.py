"""List accounts whose address collides with another account's canonical form or look-alike
skeleton (accounts.emails), or whose stored canonical form is stale. Exits 1 when there is one."""

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import email_collisions


class Command(BaseCommand):
    help = "Report accounts whose email collides with another account's (canonical form or look-alike)."

    def handle(self, *args, **options):
        found = email_collisions()
        for user, holder in found:
            with_whom = f"collides with user {holder.pk} <{holder.email}>" if holder else "stale canonical form"
            self.stdout.write(f"user {user.pk} <{user.email}>: {with_whom}")
        if found:
            raise CommandError(f"{len(found)} account(s) need attention: change the address in the admin.")
        self.stdout.write("No email collisions.")
