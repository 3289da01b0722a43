"""The client's IP address, the one way every throttle, the login lockout (django-axes), the
/metrics allow-list and the logs find it.

Behind NUM_PROXIES reverse proxies each proxy appends the address it received the request
from to X-Forwarded-For, so the client is the NUM_PROXIES-th address from the right; anything
further left was written by the client and is never trusted. With TRUSTED_PROXIES set, the
header is read only when the connection comes from one of those networks (a request that went
around the proxy cannot name its own address). NUM_PROXIES = 0: REMOTE_ADDR, the header ignored.
"""

import functools
import ipaddress

from django.conf import settings


@functools.lru_cache(maxsize=8)
def _networks(spec):
    return tuple(ipaddress.ip_network(net, strict=False) for net in spec)


# Every request parses its peer's address, and a server sees the same few again and again.
@functools.lru_cache(maxsize=1024)
def _address(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _in(address, networks):
    return any(ipaddress.ip_address(address) in net for net in networks)


def client_ip(request):
    """The client's address as a string ("" when the connection gave none)."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) or ""
    proxies = settings.NUM_PROXIES
    if proxies <= 0 or not remote:
        return remote
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if trusted and not _in(remote, trusted):
        return remote  # not from our proxy: whatever it says about the client is a claim
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not chain:
        return remote
    # The rightmost NUM_PROXIES entries came from our proxies; a shorter chain means the request
    # passed fewer proxies than configured, and its leftmost entry is the best we have.
    candidate = chain[-min(proxies, len(chain))]
    return _address(candidate) or remote
