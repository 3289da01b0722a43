"""Prometheus metrics and the /metrics endpoint.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty directory): every worker
writes its samples there and /metrics adds them up (gunicorn.conf.py removes a dead worker's
files). Access: a bearer token (METRICS_TOKEN) or a client address (core.client_ip: behind a proxy, the
address the proxy saw, never the proxy's own) in METRICS_ALLOWED_NETWORKS.
"""

import functools
import ipaddress
import logging
import os

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core.client_ip import client_ip, forwarded_by_unknown_proxy

REQUESTS = Counter("creatorcompass_http_requests", "HTTP requests by route, method and status.", ["route", "method", "status"])
REQUEST_SECONDS = Histogram(
    "creatorcompass_http_request_seconds", "HTTP request duration by route.", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DATABASE_TIMEOUTS = Counter("creatorcompass_database_timeouts", "Lock or statement timeouts answered with 503.", ["kind"])
WEBHOOK_EVENTS = Counter("creatorcompass_webhook_events", "Stripe webhook deliveries by event type and outcome.", ["type", "outcome"])
EMAIL_JOBS = Counter("creatorcompass_email_jobs", "Email jobs by task and outcome.", ["task", "outcome"])
REPLICA_FALLBACKS = Counter(
    "creatorcompass_replica_fallbacks", "Reads sent to the primary because no replica was usable, by why.", ["reason"]
)
USAGE_REFUSALS = Counter("creatorcompass_usage_refusals", "Metered actions refused at the plan limit.", ["feature"])


# Methods get their own label; any other (made up by a client) shares "other", so a scanner
# cannot create series without bound.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method):
    return method if method in _KNOWN_METHODS else "other"


@functools.lru_cache(maxsize=4096)
def request_series(route, method, status):
    """The request counter's and duration histogram's series for one route, method and status.
    Routes are the URLconf's patterns (bounded), methods are folded by method_label: a few
    hundred series, each looked up under prometheus-client's lock once per process, not on
    every request."""
    return (REQUESTS.labels(route, method_label(method), str(status)),
            REQUEST_SECONDS.labels(route))


logger = logging.getLogger("creatorcompass.metrics")


class JobQueueCollector:
    """The email job queue, read from the database at scrape time (the same figure from every
    instance: alert on max()). A database that does not answer leaves these out of the scrape."""

    def collect(self):
        from django.db import DatabaseError
        from django.utils import timezone

        from core.ops_figures import job_queue

        try:
            queue = job_queue(timezone.now())
        except DatabaseError:
            logger.warning("job queue figures not scraped: the database did not answer")
            return
        yield GaugeMetricFamily("creatorcompass_jobs_queued", "Email jobs waiting to run (READY).",
                                value=queue["queued"])
        yield GaugeMetricFamily("creatorcompass_jobs_oldest_queued_age_seconds",
                                "Age of the oldest queued email job (0 when none).",
                                value=queue["oldest_age_seconds"] or 0)
        yield GaugeMetricFamily("creatorcompass_jobs_stale_running",
                                "Jobs RUNNING for longer than JOB_STALE_AFTER (their worker probably died).",
                                value=queue["stale_running"])
        yield GaugeMetricFamily("creatorcompass_jobs_given_up",
                                "Jobs that used up their retries (an email not sent): alert at once, re-run from the admin.",
                                value=queue["given_up"])


# Read from the database when /metrics is scraped, once per scrape, by whichever worker serves it.
# The replica-lag collector lives beside the router that measures it (core.db_router) and is
# registered here by CoreConfig.ready(), so neither module imports the other both ways.
SCRAPE_TIME = CollectorRegistry(auto_describe=False)
SCRAPE_TIME.register(JobQueueCollector())


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _allowed(request):
    token = settings.METRICS_TOKEN
    if token and request.headers.get("Authorization") == f"Bearer {token}":
        return True
    if forwarded_by_unknown_proxy(request):
        # The connection's address (that proxy's) says nothing about the client.
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics: token or allowed network required\n", content_type="text/plain")
    return HttpResponse(generate_latest(_registry()) + generate_latest(SCRAPE_TIME), content_type=CONTENT_TYPE_LATEST)
