"""Settings for the benchmark server: the product's settings plus the bench-only URLs
(a bare endpoint and a hand-written-SQL reference), which are never in the product's URLs."""

import datetime
import os

from creatorcompass.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Creating thousands of bench creators must not take minutes of deliberate password hashing;
# no bench request logs in with a password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# bench/faults.py kills the email worker and must see its jobs recovered within the run: the
# product's recovery path (retry_jobs, email claims) on a scale of seconds instead of minutes,
# keeping production's order (the claim expires before a job counts as stale).
JOB_STALE_AFTER = datetime.timedelta(seconds=8)
JOB_RETRY_BACKOFF = datetime.timedelta(seconds=1)
EMAIL_CLAIM_EXPIRY = datetime.timedelta(seconds=5)
# Where bench.mail.EmailBackend appends the messages it "sends" (bench/faults.py sets it).
BENCH_EMAIL_LOG = os.environ.get("BENCH_EMAIL_LOG", "")
# bench/faults.py --fault app-kill-after-commit: a request with X-Bench-Kill-After-Commit: 1 kills
# its worker right after its COMMIT (bench/kill_after_commit.py); no other request is affected.
MIDDLEWARE = [*MIDDLEWARE, "bench.kill_after_commit.KillAfterCommitMiddleware"]  # noqa: F405
# bench/middleware.py: the middleware stack of one server, by class path (comma-separated; empty =
# none), to measure what each one costs on the same machine in one run.
if "BENCH_MIDDLEWARE" in os.environ:
    MIDDLEWARE = [name for name in os.environ["BENCH_MIDDLEWARE"].split(",") if name]
