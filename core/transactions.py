"""The transaction toolkit: the one way a service declares itself the transaction.

    @durable_service("accounts.user_signup", validate=signup_input, integrity_error=email_taken)
    def user_signup(*, email, ...): ...

runs the service in `transaction.atomic(durable=True)` (so calling it inside another
transaction is a bug that fails loudly), and records per service name its duration and
whether it committed or rolled back (Prometheus collectors, exported at /metrics), plus a
warning log line when it ran longer than SLOW_TRANSACTION_MS. The name is "<app>.<function>":
the metric, the log line and `check_transactions` name the function a reader finds.

Read top to bottom, the decorator is the service's whole boundary:
- `validate` runs first, before the transaction opens. It receives the call's keyword arguments
  (defaults applied), raises InvalidInput naming each bad field, and returns the arguments the
  body runs with (checked and normalised). A refusal opens no transaction, and slow preparation
  (a password hash) holds no lock.
- the function's body is the transaction.
- `integrity_error` answers a unique constraint the body ran into, after the transaction rolled
  back: called with the IntegrityError and the body's arguments, it returns the service's result
  (a row another writer made first) or raises a domain error (an email already taken). It
  re-raises what it does not recognise.

A transient conflict (PostgreSQL deadlock_detected 40P01 or serialization_failure 40001, raised
by a statement or by the COMMIT) re-runs the whole service in a fresh transaction, up to
DB_CONFLICT_ATTEMPTS attempts in all, after a short jittered backoff. That is safe because
nothing outside the database has happened yet: email jobs are enqueued inside the transaction
or on commit, and the rollback discards both. The last conflict propagates (core.middleware
answers it 503 `busy`). Only an outermost transaction is re-run: as a savepoint inside an outer
block (a test's TestCase wrapper, check_transactions) the outer transaction is the one that
failed, so the conflict propagates at once.
"""

import contextvars
import functools
import inspect
import itertools
import logging
import random
import time

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from prometheus_client import Counter, Histogram

from core import idempotency, rollup
from core.errors import DomainError
from core.logs import request_id_var

logger = logging.getLogger("creatorcompass.transactions")

TRANSACTION_SECONDS = Histogram(
    "creatorcompass_transaction_seconds",
    "Duration of durable service transactions.",
    ["service"],
    buckets=tuple(bound / 1000 for bound in rollup.BUCKET_BOUNDS_MS),
)
TRANSACTION_OUTCOMES = Counter(
    "creatorcompass_transactions",
    "Durable service transactions by outcome (commit or rollback).",
    ["service", "outcome"],
)
TRANSACTION_RETRIES = Counter(
    "creatorcompass_transaction_retries",
    "Durable services hit by a transient conflict: re-run (retried) or out of attempts (gave_up).",
    ["service", "reason", "outcome"],
)
TRANSACTION_ROLLBACKS = Counter(
    "creatorcompass_transaction_rollbacks",
    "Rolled-back durable service attempts by cause: refusal (a domain error), conflict (deadlock "
    "or serialization failure), timeout (lock or statement timeout), error (anything else).",
    ["service", "cause"],
)
# The durable service running in this context, for log lines and the email outbox's job origin.
current_service_var = contextvars.ContextVar("current_service", default="-")

# PostgreSQL SQLSTATEs of class 40 (transaction rollback) that a re-run can cure.
CONFLICT_STATES = {"40P01": "deadlock", "40001": "serialization"}
# lock_not_available (lock_timeout) and query_canceled (statement_timeout).
TIMEOUT_STATES = {"55P03": "lock", "57014": "statement"}
# The first re-run waits 10–20 ms, each next one twice as long: enough for the transaction
# that won to commit, and jittered so that two losers do not collide again in step.
BACKOFF_SECONDS = 0.02

# name -> the service without its transaction (validated, then the body, not atomic):
# check_transactions discovers services here, and its planted tests run a service this way to
# show that a write outside the transaction is caught.
DURABLE_SERVICES = {}


def conflict_reason(exc):
    """"deadlock" or "serialization" if exc is a transient conflict, else None. Django wraps
    psycopg's error, which carries the SQLSTATE (SQLite's errors carry none)."""
    return CONFLICT_STATES.get(getattr(exc.__cause__, "sqlstate", None))


def backoff(number):
    """Seconds to wait after failed attempt `number` (1, 2, ...): jittered and doubling."""
    return BACKOFF_SECONDS * 2 ** (number - 1) * random.uniform(0.5, 1.0)


def rollback_cause(exc):
    """Why an attempt rolled back: one of core.rollup.CAUSES."""
    if isinstance(exc, DomainError):
        return "refusal"
    state = getattr(exc.__cause__, "sqlstate", None)
    if state in CONFLICT_STATES:
        return "conflict"
    if state in TIMEOUT_STATES:
        return "timeout"
    return "error"


def _outermost():
    """True when atomic() would begin a transaction rather than a savepoint."""
    connection = transaction.get_connection()
    return not connection.in_atomic_block and connection.get_autocommit()


def durable_service(name, *, validate=None, integrity_error=None):
    """Make the decorated function the outermost transaction, measured under `name`, with
    `validate` before it and `integrity_error` after it (module doc)."""

    def decorate(func):
        if name in DURABLE_SERVICES:
            raise ValueError(f"durable service {name!r} is declared twice")
        signature = inspect.signature(func)

        def validated(args, kwargs):
            if validate is None:
                return args, kwargs
            call = signature.bind(*args, **kwargs)
            call.apply_defaults()
            return (), validate(**call.arguments)

        @functools.wraps(func)
        def without_transaction(*args, **kwargs):
            args, kwargs = validated(args, kwargs)
            return func(*args, **kwargs)

        DURABLE_SERVICES[name] = without_transaction
        # Series that exist from the start at 0: Prometheus' increase() cannot see the first
        # transactions of a counter whose first sample is already above 0.
        TRANSACTION_SECONDS.labels(name)
        for outcome in ("commit", "rollback"):
            TRANSACTION_OUTCOMES.labels(name, outcome)
        for cause in rollup.CAUSES:
            TRANSACTION_ROLLBACKS.labels(name, cause)

        def attempt(args, kwargs):
            started = time.perf_counter()
            outcome, cause = "rollback", "error"
            service_token = current_service_var.set(name)
            try:
                idempotency.service_ran()
                with transaction.atomic(durable=True):
                    result = func(*args, **kwargs)
                    idempotency.claim_applied()  # the request's key commits with the effect
                outcome = cause = "commit"
                return result
            except Exception as exc:
                cause = rollback_cause(exc)
                if not hasattr(exc, "durable_service"):
                    exc.durable_service = name  # for the 503 log line (core.middleware)
                raise
            finally:
                current_service_var.reset(service_token)
                elapsed = time.perf_counter() - started
                if settings.METRICS_ENABLED:
                    TRANSACTION_SECONDS.labels(name).observe(elapsed)
                    TRANSACTION_OUTCOMES.labels(name, outcome).inc()
                    if outcome == "rollback":
                        TRANSACTION_ROLLBACKS.labels(name, cause).inc()
                if settings.METRICS_ENABLED and settings.ROLLUP_ENABLED:
                    rollup.record(name, seconds=elapsed, cause=None if outcome == "commit" else cause,
                                  request_id=request_id_var.get())
                if elapsed * 1000 > settings.SLOW_TRANSACTION_MS:
                    logger.warning(
                        "slow transaction service=%s outcome=%s duration_ms=%.1f",
                        name,
                        outcome,
                        elapsed * 1000,
                        extra={"service": name, "duration_ms": round(elapsed * 1000, 1)},
                    )

        @functools.wraps(func)
        def run(*args, **kwargs):
            args, kwargs = validated(args, kwargs)
            if integrity_error is None:
                return run_attempts(args, kwargs)
            try:
                return run_attempts(args, kwargs)
            except IntegrityError as exc:
                return integrity_error(exc, **kwargs)

        def run_attempts(args, kwargs):
            retryable = _outermost()
            attempts = settings.DB_CONFLICT_ATTEMPTS
            for number in itertools.count(1):
                try:
                    result = attempt(args, kwargs)
                    if retryable and settings.METRICS_ENABLED and settings.ROLLUP_ENABLED:
                        rollup.flush_if_due()  # after the COMMIT: never inside the transaction
                    return result
                except DatabaseError as exc:
                    reason = conflict_reason(exc)
                    if reason is None or not retryable:
                        raise
                    if number >= attempts:
                        _record_conflict(name, reason, number, attempts, "gave_up", "giving up")
                        raise
                    delay = backoff(number)
                    _record_conflict(name, reason, number, attempts, "retried", f"retrying in {delay * 1000:.0f} ms")
                    time.sleep(delay)

        run.service_name = name
        return run

    return decorate


def _record_conflict(service, reason, number, attempts, outcome, action):
    if settings.METRICS_ENABLED:
        TRANSACTION_RETRIES.labels(service, reason, outcome).inc()
        if outcome == "retried" and settings.ROLLUP_ENABLED:
            rollup.record_retry(service)
    logger.warning(
        "transaction conflict service=%s reason=%s attempt=%d of %d: %s", service, reason, number, attempts, action,
        extra={"service": service},
    )


def outcome_count(service, outcome):
    """Read one commit/rollback counter (for tests and the ops commands)."""
    return TRANSACTION_OUTCOMES.labels(service, outcome)._value.get()


def retry_count(service, reason, outcome):
    """Read one retried/gave_up counter (for tests)."""
    return TRANSACTION_RETRIES.labels(service, reason, outcome)._value.get()
