"""Signals other apps (above accounts) answer, so accounts imports none of them."""

from django.dispatch import Signal

# Sent inside the email_change transaction with `user_id`: billing enqueues (in that same
# outbox) the job that tells Stripe the customer's new address after the commit.
email_changed = Signal()
