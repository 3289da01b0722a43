"""Settings for the test suite: the real settings, with the environment a test run needs.
DATABASE_URL still decides the database (SQLite by default, PostgreSQL in CI)."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# One process: an in-memory cache is shared by everything in it, and a test needs no database to
# clear it. The shared-cache tests (Redis, the database cache, two gunicorn workers) pick their own.
os.environ.setdefault("CACHE_URL", "locmemcache://")
# A well-formed test key; every Stripe call in tests goes to the loopback emulator.
os.environ.setdefault("STRIPE_TEST_SECRET_KEY", "sk_test_" + "emulator" * 4)

from creatorcompass.settings import *  # noqa: E402,F403

# anymail's test backend records every message in django.core.mail.outbox; nothing leaves.
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
# Hashing is deliberately slow in production; tests need speed, not resistance to cracking.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SITE_URL = "http://testserver"
# Serve static files straight from the finders: no collectstatic before a test run.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # dj-stripe's migrations take ~45 s: keep the SQLite test database in a file so that
    # `bin/test` (which passes --reuse-db) builds it once. CI on PostgreSQL starts fresh.
    # The file sits beside the configured database, so two checkouts (or two DATABASE_URLs)
    # never share one.
    _name = Path(DATABASES["default"]["NAME"])  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_name.with_name(f"test_{_name.name}"))}  # noqa: F405

# A replica alias that mirrors the test database, for the replica router's tests
# (core/tests/test_replicas.py turns routing on with DATABASE_REPLICAS and names the alias in
# django_db(databases=...)); every other test reads and writes the primary.
DATABASES["replica_1"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_REPLICAS = []

# A row lock taken out of core.locks.LOCK_ORDER fails the test that took it.
LOCK_ORDER_CHECKS = True

# 4xx answers are expected by the hundreds in tests: keep django.request's warnings out of the output.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
