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
