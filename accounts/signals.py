"""Accounts' signal receivers (connected in AccountsConfig.ready)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver


@receiver(user_logged_out, dispatch_uid="accounts.logout_everywhere")
def api_tokens_revoke_on_logout(sender, request, user, **kwargs):
    """Logging out of the website (or the admin, or the API's session logout) logs out
    everywhere: the creator's API tokens stop working too."""
    from accounts.services import api_token_revoke

    if user is not None:
        api_token_revoke(user=user)
