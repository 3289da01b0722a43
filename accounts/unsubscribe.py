"""One-click unsubscribe (RFC 8058, RFC 2369): a signed token per creator and email kind.

Every email that is not transactional carries `headers_for(user, kind)`: `List-Unsubscribe` with
an https URL (and a mailto, when UNSUBSCRIBE_MAILTO is set) and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`, so a mail client can turn the kind off with one POST, no login.
The token is signed (SECRET_KEY, its own salt) and never expires: a link in an old email must
still work. It names the user and the kind; a forged or altered one is refused.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.catalog import EmailKind

_SALT = "accounts.unsubscribe"


def unsubscribe_token(*, user_id, kind):
    return signing.dumps({"u": user_id, "k": EmailKind(kind).value}, salt=_SALT, compress=True)


def unsubscribe_token_read(token):
    """(user id, EmailKind) of a token; signing.BadSignature (or ValueError) when forged."""
    data = signing.loads(token, salt=_SALT)
    return int(data["u"]), EmailKind(data["k"])


def unsubscribe_token_kind(token):
    """The EmailKind a token names, or None when it is not one of ours."""
    try:
        return unsubscribe_token_read(token)[1]
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        return None


def unsubscribe_url(*, user_id, kind):
    return f"{settings.SITE_URL}{reverse('unsubscribe', args=[unsubscribe_token(user_id=user_id, kind=kind)])}"


def headers_for(user, kind):
    """The RFC 8058 headers of an email of `kind` to `user` (a User or a user id)."""
    user_id = getattr(user, "pk", user)
    targets = [f"<{unsubscribe_url(user_id=user_id, kind=kind)}>"]
    if settings.UNSUBSCRIBE_MAILTO:
        targets.append(f"<mailto:{settings.UNSUBSCRIBE_MAILTO}?subject=unsubscribe-{EmailKind(kind).value}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
