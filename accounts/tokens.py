"""Signed, expiring email-verification tokens (no table needed: the signature is the proof)."""

from django.conf import settings
from django.core import signing

_SALT = "accounts.verify-email"


def verification_token_make(user):
    return signing.dumps({"u": user.pk, "e": user.email_canonical}, salt=_SALT)


def verification_token_read(token):
    """-> (user_id, email). Raises signing.SignatureExpired or signing.BadSignature."""
    payload = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    return payload["u"], payload["e"]


_REVERT_SALT = "accounts.email-change-revert"


def email_change_revert_token_make(*, user_id, old_email, new_email):
    """The "this wasn't me" link of the notice to the old address: it names both addresses, so
    it works only while the account still has `new_email`."""
    return signing.dumps({"u": user_id, "o": old_email, "n": new_email}, salt=_REVERT_SALT)


def email_change_revert_token_read(token):
    """-> (user_id, old email, new email). Raises signing.SignatureExpired or BadSignature."""
    payload = signing.loads(token, salt=_REVERT_SALT, max_age=settings.EMAIL_CHANGE_REVERT_MAX_AGE)
    return payload["u"], payload["o"], payload["n"]
