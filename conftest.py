"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import cache
from django.db import connection

from core.testing.lockguard import guard_lock_declarations
from core.testing.netguard import guard_network


@pytest.fixture(autouse=True)
def _no_network_in_transactions():
    """Fail any test that opens a socket inside a transaction or to a non-loopback host."""
    with guard_network() as violations:
        yield
    assert not violations, f"network I/O violations: {violations}"


@pytest.fixture(autouse=True)
def _no_writes_in_on_commit():
    """Refuse a database write inside an on_commit callback (core.testing.oncommit)."""
    from core.testing.oncommit import writes_refused_in_on_commit

    with writes_refused_in_on_commit():
        yield


@pytest.fixture(autouse=True)
def undeclared_locks():
    """Fail any test in which a row of a model in core.locks.LOCK_ORDER is locked without going
    through its lock function (the order check would not see that lock). The guard's own tests
    read and clear the list."""
    with guard_lock_declarations() as violations:
        yield violations
    assert not violations, f"undeclared row locks: {violations}"


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    # Django's test setup swaps in the locmem backend; we exercise anymail's own test backend.
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("postgres")
    if marker and connection.vendor != "postgresql":
        pytest.skip(
            marker.kwargs.get("reason")
            or "row locks and real concurrency are proven on PostgreSQL; "
            "SQLite serialises writers (run with DATABASE_URL=postgres://...)"
        )


@pytest.fixture
def catalogue(db):
    """The real plan and milestone catalogues, as load_content stores them."""
    from billing.tests.factories import plans_catalogue
    from milestones.tests.factories import milestones_catalogue

    plans_catalogue()
    milestones_catalogue()


@pytest.fixture
def roadmap(catalogue):
    """A 90-day YouTube roadmap, one task a day: {day: RoadmapTask}."""
    from tasks.tests.factories import roadmap_build

    return roadmap_build("youtube")


@pytest.fixture
def browser(creator):
    """A browser (Django's test client) signed in as the module's `creator`."""
    from django.test import Client

    client = Client()
    client.force_login(creator)
    return client


@pytest.fixture
def ops(db):
    """A browser client logged in as a staff superuser (the ops team)."""
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("ops@example.com", "x-long-password"))
    return client


@pytest.fixture
def emulator():
    """A Stripe API emulator on loopback with our products and prices; the Stripe client talks
    to it, never to Stripe."""
    import stripe

    from billing.testing.stripe_emulator import StripeEmulator
    from billing.tests import stripe_objects
    from core.testing.netguard import allow_in_djstripe_event_processing

    server = StripeEmulator().start()
    for obj in stripe_objects.products_and_prices():
        server.put(obj)
    previous = stripe.api_base
    stripe.api_base = server.url
    with allow_in_djstripe_event_processing(server.port, "dj-stripe re-reads objects inside its event transaction"):
        yield server
    stripe.api_base = previous
    server.stop()
