"""gunicorn settings for production: `gunicorn creatorcompass.wsgi` reads this file.

2–4 sync workers on 2 cores (DESIGN.md §3.8); persistent database connections come from
DB_CONN_MAX_AGE. With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics there and
a worker's files are marked dead when it exits, so /metrics adds up the living ones.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
accesslog = "-"


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # The worker's last seconds of transaction figures for the admin's Transactions page.
    from core import rollup

    rollup.flush()
