"""The stop link of a reminder email: a signed (creator, kind), no expiry (an unsubscribe link
must keep working in an old email), so no login is needed to stop an email (RFC 8058)."""

from django.core import signing

from reminders.models import ReminderKind

_SALT = "reminders.stop"


def stop_token_make(*, user_id, kind):
    return signing.dumps([user_id, kind], salt=_SALT, compress=True)


def stop_token_read(token):
    """(user id, kind) of a valid token, else None."""
    try:
        user_id, kind = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or kind not in ReminderKind.values:
        return None
    return user_id, kind
