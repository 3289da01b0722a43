"""Accounts' signals: the receivers it connects (in AccountsConfig.ready), and the signal it sends
for the floors above it (which accounts may not import)."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import Signal, receiver

# Sent by accounts.services.profile_update inside its transaction when a creator's time zone or
# reminder preference changed, with `user`, `profile` (already changed) and `fields` (the names
# changed). Receivers write in that same transaction: the reminders app reschedules.
reminder_inputs_changed = Signal()

# Sent inside the email_change transaction with `user_id`: billing enqueues (in that same
# outbox) the job that tells Stripe the customer's new address after the commit.
email_changed = Signal()


@receiver(user_logged_out, dispatch_uid="accounts.logout_everywhere")
def api_tokens_revoke_on_logout(sender, request, user, **kwargs):
    """Logging out of the website (or the admin, or the API's session logout) logs out
    everywhere: the creator's API tokens stop working too."""
    from accounts.services import api_token_revoke

    if user is not None:
        api_token_revoke(user=user)
