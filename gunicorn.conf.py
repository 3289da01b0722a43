"""gunicorn settings for production: `gunicorn creatorcompass.wsgi` reads this file.

2–4 sync workers on 2 cores (DESIGN.md §3.8); persistent database connections come from
DB_CONN_MAX_AGE. With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics there and
a worker's files are marked dead when it exits, so /metrics adds up the living ones.
"""

import ipaddress
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
accesslog = "-"


def trusted_proxies(environ):
    """gunicorn's forwarded_allow_ips (whose X-Forwarded-Proto and other secure-scheme headers it
    believes) from the variables the app's client IP reads (core.client_ip): NUM_PROXIES = 0 trusts
    no one (gunicorn's own default would trust loopback, so a proxy on this host could claim
    https for anyone); otherwise TRUSTED_PROXIES, or every peer when it is unset, as the app does."""
    if int(environ.get("NUM_PROXIES") or 0) <= 0:
        return ""
    networks = [net.strip() for net in environ.get("TRUSTED_PROXIES", "").split(",") if net.strip()]
    return ",".join(str(ipaddress.ip_network(net, strict=False)) for net in networks) or "*"


forwarded_allow_ips = trusted_proxies(os.environ)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    # The worker's last seconds of transaction figures for the admin's Transactions page.
    from core import rollup

    rollup.flush()
