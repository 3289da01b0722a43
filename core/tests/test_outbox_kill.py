"""The outbox against the fault it exists for: the process dies in the instant after COMMIT.

A child process signs a creator up with bench/kill_after_commit.py armed: it SIGKILLs itself right
after the signup's COMMIT, before any on-commit callback runs. The verification email's job must be
in the database anyway. With the old defect planted (jobs enqueued on commit) the same kill loses it,
which shows that this test can fail."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from accounts.models import User

CHILD = """
import sys
import django
django.setup()
from bench.kill_after_commit import install, kill_after_next_commit, plant_enqueue_on_commit
install()
if sys.argv[2] == "planted":
    plant_enqueue_on_commit()
from accounts.services import user_signup
with kill_after_next_commit():
    user_signup(email=sys.argv[1], password="kill-after-commit-1", platform="youtube")
print("survived the commit")
"""


def _database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _signup_killed_after_commit(email, mode):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "creatorcompass.settings_test", "DATABASE_URL": _database_url()}
    child = subprocess.run([sys.executable, "-c", CHILD, email, mode], cwd=settings.BASE_DIR, env=env,
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr


def _verification_jobs_of(email):
    user = User.objects.get(email=email)  # the signup committed before the kill
    return DBTaskResult.objects.filter(task_path="accounts.jobs.send_verification_email", args_kwargs__args__0=user.pk)


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_right_after_commit_loses_no_email():
    _signup_killed_after_commit("outbox@example.com", "outbox")

    assert _verification_jobs_of("outbox@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_kill_loses_the_email_when_jobs_are_enqueued_on_commit():
    _signup_killed_after_commit("planted@example.com", "planted")

    assert _verification_jobs_of("planted@example.com").count() == 0
