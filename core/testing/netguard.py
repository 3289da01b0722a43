"""A test-time guard against network I/O inside an open transaction, and off this machine.

Installed for every test by the root conftest. It wraps `socket.socket.connect`: a connection
attempted while any database connection has an atomic block open (other than the wrapper
pytest-django's TestCase puts around a test) is a bug — email, Stripe and HTTP calls belong in
`transaction.on_commit` — and so is any connection to a non-loopback address (tests never reach
the internet). The attempt raises `NetworkIOViolation`, and the test fails at teardown even if
the code under test swallowed the exception.
"""

import contextlib
import contextvars
import ipaddress
import socket

from django.db import connections


class NetworkIOViolation(AssertionError):
    pass


# Loopback ports that dj-stripe's webhook processing may reach inside its event transaction, with
# the reason; and whether this thread is inside that processing now.
_ALLOWED_IN_EVENT_PROCESSING = {}
_in_event_processing = contextvars.ContextVar("in_djstripe_event_processing", default=False)


@contextlib.contextmanager
def allow_in_djstripe_event_processing(port, reason):
    """Let dj-stripe reach 127.0.0.1:<port> inside its per-event transaction, and only there: it
    re-reads Stripe objects while it processes a webhook (DESIGN.md §5). Everywhere else, our own
    transactions and dj-stripe's helpers included, a connection inside a transaction is a violation."""
    from djstripe.models import WebhookEventTrigger

    real_from_request = WebhookEventTrigger.__dict__["from_request"]

    def from_request(cls, *args, **kwargs):
        token = _in_event_processing.set(True)
        try:
            return real_from_request.__func__(cls, *args, **kwargs)
        finally:
            _in_event_processing.reset(token)

    WebhookEventTrigger.from_request = classmethod(from_request)
    _ALLOWED_IN_EVENT_PROCESSING[port] = reason
    try:
        yield
    finally:
        _ALLOWED_IN_EVENT_PROCESSING.pop(port, None)
        WebhookEventTrigger.from_request = real_from_request


def open_transaction_aliases():
    """Aliases of database connections inside an atomic block opened by the code under test."""
    return [
        conn.alias
        for conn in connections.all(initialized_only=True)
        if any(not block._from_testcase for block in conn.atomic_blocks)
    ]


def _is_loopback(address):
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths are local by definition
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name that is not localhost would need DNS: not local


@contextlib.contextmanager
def guard_network():
    """Yield the list of violations seen while the guard is on."""
    violations = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address):
        aliases = open_transaction_aliases()
        allowed = (
            _in_event_processing.get()
            and isinstance(address, tuple)
            and _is_loopback(address)
            and address[1] in _ALLOWED_IN_EVENT_PROCESSING
        )
        if aliases and not allowed:
            problem = f"network I/O to {address!r} inside an open transaction on {aliases}"
        elif not _is_loopback(address):
            problem = f"network I/O to non-loopback address {address!r} in a test"
        else:
            return
        violations.append(problem)
        raise NetworkIOViolation(problem)

    def connect(sock, address):
        check(address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host, port, *args, **kwargs):
        # A name lookup for another host is the first step of reaching it (and is itself
        # network I/O to a resolver).
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not _is_loopback((name, port)):
            check((name, port))
        return real_getaddrinfo(host, port, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    try:
        yield violations
    finally:
        socket.socket.connect = real_connect
        socket.socket.connect_ex = real_connect_ex
        socket.getaddrinfo = real_getaddrinfo
