"""Prometheus metrics and the /metrics endpoint.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty directory): every worker
writes its samples there and /metrics adds them up (gunicorn.conf.py removes a dead worker's
files). Access: a bearer token (METRICS_TOKEN) or a client address in METRICS_ALLOWED_NETWORKS.
"""

import ipaddress
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
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics: token or allowed network required\n", content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
