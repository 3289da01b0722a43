"""The signals accounts sends for the floors above it (which accounts may not import). Its own
receivers are in accounts.receivers."""

from django.dispatch import Signal

# Sent by accounts.services.profile_update inside its transaction when a creator's time zone or
# reminder preference changed, with `user`, `profile` (already changed) and `fields` (the names
# changed). Receivers write in that same transaction: the reminders app reschedules.
reminder_inputs_changed = Signal()

# Sent inside the email_change transaction with `user_id`: billing enqueues (in that same
# outbox) the job that tells Stripe the customer's new address after the commit.
email_changed = Signal()
