"""The transaction toolkit: the one way a service declares itself the transaction.

    @durable_service("accounts.user_signup")
    def user_signup(*, email, ...): ...

runs the service in `transaction.atomic(durable=True)` (so calling it inside another
transaction is a bug that fails loudly), and records per service name its duration and
whether it committed or rolled back (Prometheus collectors, exported at /metrics), plus a
warning log line when it ran longer than SLOW_TRANSACTION_MS.
"""

import functools
import logging
import time

from django.conf import settings
from django.db import transaction
from prometheus_client import Counter, Histogram

logger = logging.getLogger("creatorcompass.transactions")

TRANSACTION_SECONDS = Histogram(
    "creatorcompass_transaction_seconds",
    "Duration of durable service transactions.",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TRANSACTION_OUTCOMES = Counter(
    "creatorcompass_transactions",
    "Durable service transactions by outcome (commit or rollback).",
    ["service", "outcome"],
)

# name -> the undecorated service function; check_transactions discovers services here.
DURABLE_SERVICES = {}


def durable_service(name):
    """Make the decorated function the outermost transaction, measured under `name`."""

    def decorate(func):
        if name in DURABLE_SERVICES:
            raise ValueError(f"durable service {name!r} is declared twice")
        DURABLE_SERVICES[name] = func

        @functools.wraps(func)
        def run(*args, **kwargs):
            started = time.perf_counter()
            outcome = "rollback"
            try:
                with transaction.atomic(durable=True):
                    result = func(*args, **kwargs)
                outcome = "commit"
                return result
            finally:
                elapsed = time.perf_counter() - started
                if settings.METRICS_ENABLED:
                    TRANSACTION_SECONDS.labels(name).observe(elapsed)
                    TRANSACTION_OUTCOMES.labels(name, outcome).inc()
                if elapsed * 1000 > settings.SLOW_TRANSACTION_MS:
                    logger.warning(
                        "slow transaction service=%s outcome=%s duration_ms=%.1f",
                        name,
                        outcome,
                        elapsed * 1000,
                    )

        run.service_name = name
        return run

    return decorate


def outcome_count(service, outcome):
    """Read one commit/rollback counter (for tests and the ops commands)."""
    return TRANSACTION_OUTCOMES.labels(service, outcome)._value.get()
