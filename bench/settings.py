"""Settings for the benchmark server: the product's settings plus the bench-only URLs
(a bare endpoint and a hand-written-SQL reference), which are never in the product's URLs."""

from creatorcompass.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Creating thousands of bench creators must not take minutes of deliberate password hashing;
# no bench request logs in with a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
