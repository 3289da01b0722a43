"""A test-time guard against network I/O inside an open transaction, and off this machine.

Installed for every test by the root conftest. It wraps `socket.socket.connect`: a connection
attempted while any database connection has an atomic block open (other than the wrapper
pytest-django's TestCase puts around a test) is a bug — email, Stripe and HTTP calls belong in
`transaction.on_commit` — and so is any connection to a non-loopback address (tests never reach
the internet). The attempt raises `NetworkIOViolation`, and the test fails at teardown even if
the code under test swallowed the exception.
"""

import contextlib
import ipaddress
import socket

from django.db import connections


class NetworkIOViolation(AssertionError):
    pass


# Loopback ports a test has declared reachable inside a transaction, with the reason.
_ALLOWED_IN_TRANSACTION = {}


@contextlib.contextmanager
def allow_inside_transactions(port, reason):
    """Let code reach 127.0.0.1:<port> inside a transaction. The one use: dj-stripe fetches
    Stripe objects inside its per-event transaction (DESIGN.md §5), from the test's emulator."""
    _ALLOWED_IN_TRANSACTION[port] = reason
    try:
        yield
    finally:
        _ALLOWED_IN_TRANSACTION.pop(port, None)


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
        allowed = isinstance(address, tuple) and _is_loopback(address) and address[1] in _ALLOWED_IN_TRANSACTION
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
