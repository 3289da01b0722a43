import socket

import pytest
from django.core import mail
from django.db import transaction

from core.testing.netguard import NetworkIOViolation, guard_network


@pytest.fixture
def listening_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def _connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


@pytest.mark.django_db
def test_loopback_connection_outside_a_transaction_is_allowed(listening_port):
    with guard_network() as violations:
        _connect(listening_port)
    assert violations == []


@pytest.mark.django_db
def test_connection_inside_a_transaction_is_a_violation(listening_port):
    with guard_network() as violations:
        with pytest.raises(NetworkIOViolation, match="inside an open transaction"):
            with transaction.atomic():
                _connect(listening_port)
    assert len(violations) == 1


@pytest.mark.django_db
def test_smtp_email_sent_inside_a_transaction_is_caught(settings, listening_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", listening_port, 1
    with guard_network() as violations:
        with pytest.raises(NetworkIOViolation):
            with transaction.atomic():
                mail.send_mail("hi", "body", "a@example.com", ["b@example.com"])
    assert violations


def test_non_loopback_address_is_a_violation():
    with guard_network() as violations:
        with pytest.raises(NetworkIOViolation, match="non-loopback"):
            _connect_to(("192.0.2.1", 80))
    assert violations


def _connect_to(address):
    sock = socket.socket()
    try:
        sock.connect(address)
    finally:
        sock.close()
