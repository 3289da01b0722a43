"""A fault for the outbox proof: SIGKILL this process in the instant after a COMMIT.

`kill_after_next_commit()` arms it for the code inside the block; in the bench server,
`KillAfterCommitMiddleware` arms it for a request that carries `X-Bench-Kill-After-Commit: 1`
(bench/faults.py --fault app-kill-after-commit). The process dies right after the database
confirmed the COMMIT and before Django runs the transaction's on-commit callbacks: the instant in
which an email enqueued on commit was lost. With the outbox (core.email) the job committed with
the change, so nothing is lost.

`plant_enqueue_on_commit()` puts the old defect back for a run (BENCH_PLANT=enqueue-on-commit):
every job is enqueued by an on-commit callback instead of inside the transaction, so a run proves
that the fault can see the loss. Installed only by bench.settings; never in the product.
"""

import contextlib
import contextvars
import functools
import os
import signal

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

HEADER = "X-Bench-Kill-After-Commit"
_armed = contextvars.ContextVar("bench_kill_after_commit", default=False)
_installed = []


def install():
    if _installed:
        return
    _installed.append(True)
    real_commit = BaseDatabaseWrapper.commit

    @functools.wraps(real_commit)
    def commit(self):
        real_commit(self)
        if _armed.get():
            os.kill(os.getpid(), signal.SIGKILL)

    BaseDatabaseWrapper.commit = commit


@contextlib.contextmanager
def kill_after_next_commit():
    token = _armed.set(True)
    try:
        yield
    finally:
        _armed.reset(token)


class KillAfterCommitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        install_from_environment()

    def __call__(self, request):
        if request.headers.get(HEADER) != "1":
            return self.get_response(request)
        with kill_after_next_commit():
            return self.get_response(request)


def plant_enqueue_on_commit():
    """The defect the outbox removed: enqueue every job only once its transaction has committed."""
    from django_tasks.base import Task

    real_enqueue = Task.enqueue

    def enqueue_on_commit(self, *args, **kwargs):
        transaction.on_commit(functools.partial(real_enqueue, self, *args, **kwargs))

    Task.enqueue = enqueue_on_commit


def install_from_environment():
    """What bench.settings' middleware list enables: the kill hook always, the planted defect
    when BENCH_PLANT=enqueue-on-commit."""
    install()
    if os.environ.get("BENCH_PLANT") == "enqueue-on-commit":
        plant_enqueue_on_commit()
