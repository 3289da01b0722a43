"""The client's IP address, the one way every throttle, the login lockout (django-axes), the
/metrics allow-list, the webhook's delivery records (dj-stripe's get_remote_ip is this, see
billing.apps) and the logs find it.

Behind NUM_PROXIES reverse proxies each proxy appends the address it received the request
from to the FORWARDED_HEADER it is configured to send: `X-Forwarded-For` (the default),
`Forwarded` (RFC 7239, its `for=` parameters) or `X-Real-IP` (one address, set by the nearest
proxy). The client is the NUM_PROXIES-th address from the right; anything further left was
written by the client and is never trusted, and neither is any other forwarding header. With
TRUSTED_PROXIES set, the header is read only when the connection comes from one of those
networks (a request that went around the proxy cannot name its own address); gunicorn's
forwarded_allow_ips is the same list (gunicorn.conf.py). NUM_PROXIES = 0: REMOTE_ADDR, every
header ignored. An entry that is not an address (`not-an-ip`, `unknown`, an obfuscated
identifier) gives the connection's address.
"""

import functools
import ipaddress

from django.conf import settings

# The headers a proxy may name the client in, as Django's META keys.
FORWARDING_HEADERS = {"x-forwarded-for": "HTTP_X_FORWARDED_FOR", "forwarded": "HTTP_FORWARDED",
                      "x-real-ip": "HTTP_X_REAL_IP"}


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


def _node_address(node):
    """The address of an RFC 7239 node or an X-Forwarded-For entry: quotes, IPv6 brackets and a
    port removed ("[2001:db8::1]:4711" -> "2001:db8::1", "192.0.2.1:80" -> "192.0.2.1")."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1:].partition("]")[0]
    if node.count(":") == 1:  # IPv4 with a port (a bare IPv6 address has several colons)
        return node.partition(":")[0]
    return node


def forwarded_chain(meta, header):
    """The addresses `header` names, leftmost first, as text (not yet checked)."""
    value = meta.get(FORWARDING_HEADERS[header], "")
    if header == "forwarded":
        nodes = []
        for element in value.split(","):
            for pair in element.split(";"):
                name, _, node = pair.partition("=")
                if name.strip().lower() == "for":
                    nodes.append(node)
        return [_node_address(node) for node in nodes if node.strip()]
    return [_node_address(part) for part in value.split(",") if part.strip()]


def client_ip(request):
    """The client's address as a string ("" when the connection gave none)."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) or ""
    proxies = settings.NUM_PROXIES
    if proxies <= 0 or not remote:
        return remote
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    if trusted and not _in(remote, trusted):
        return remote  # not from our proxy: whatever it says about the client is a claim
    chain = forwarded_chain(request.META, settings.FORWARDED_HEADER)
    if not chain:
        return remote
    # The rightmost NUM_PROXIES entries came from our proxies; a shorter chain means the request
    # passed fewer proxies than configured, and its leftmost entry is the best we have.
    candidate = chain[-min(proxies, len(chain))]
    return _address(candidate) or remote


def forwarded_by_unknown_proxy(request):
    """Whether the request names a client in a forwarding header while no proxy is configured:
    a proxy the settings do not know of (one on this host makes every client look local)."""
    return settings.NUM_PROXIES == 0 and any(key in request.META for key in FORWARDING_HEADERS.values())
