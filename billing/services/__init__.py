"""Billing's writes: `checkout` (Checkout, the portal and the cancel switch: the Stripe call
first, outside any transaction, then the record), `stripe_sync` (applying Stripe's events to the
entitlement, inside dj-stripe's event transaction) and `grants` (the ops grant and the plan
catalogue)."""
