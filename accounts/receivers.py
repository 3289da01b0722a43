"""Accounts' receivers of Django's signals (connected by AccountsConfig.ready)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from accounts.services import api_token_revoke


@receiver(user_logged_out, dispatch_uid="accounts.logout_everywhere")
def api_tokens_revoke_on_logout(sender, request, user, **kwargs):
    """Logging out of the website (or the admin, or the API's session logout) logs out
    everywhere: the creator's API tokens stop working too."""
    if user is not None:
        api_token_revoke(user=user)
