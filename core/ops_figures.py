"""Reads for the admin's Transactions page: per-service figures, their course over the window,
the slowest recent transactions, the job queue and webhook deliveries.

Two sources, chosen on purpose (docs/operations.md, "The Transactions page"):
- Prometheus' query API when PROMETHEUS_URL is set: it scraped every instance and worker, keeps
  what a killed process had not written, and the page shows the same numbers as the alerts;
- otherwise the per-minute rollup every process writes (core.rollup, core.TransactionMinute).
The slowest transactions always come from the rollup (a request id is no Prometheus label:
one series per request would swamp it); the job queue and the webhook deliveries are rows of
our own database, read directly in both cases.
"""

import dataclasses
import datetime
import json
import urllib.parse
import urllib.request

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from djstripe.models import WebhookEventTrigger

from core import rollup
from core.job_retries import jobs_given_up
from core.models import TransactionMinute

# window name -> (length, chart step)
WINDOWS = {"hour": (datetime.timedelta(hours=1), datetime.timedelta(minutes=2)),
           "day": (datetime.timedelta(days=1), datetime.timedelta(hours=1))}
QUANTILES = (0.5, 0.95, 0.99)


class PrometheusUnavailable(Exception):
    """The configured Prometheus did not answer; the page says so and falls back."""


@dataclasses.dataclass
class ServiceFigures:
    service: str
    calls: float = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    rollbacks: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(rollup.CAUSES, 0))
    retries: float = 0

    @property
    def rollbacks_total(self):
        return sum(self.rollbacks.values())


def quantile_ms(q, buckets):
    """histogram_quantile over per-bucket counts (bounds rollup.BUCKET_BOUNDS_MS, then +Inf):
    linear inside the bucket that holds the rank; the highest finite bound for the +Inf one."""
    total = sum(buckets)
    if not total:
        return None
    rank, seen = q * total, 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            if index == len(rollup.BUCKET_BOUNDS_MS):
                return rollup.BUCKET_BOUNDS_MS[-1]
            lower = rollup.BUCKET_BOUNDS_MS[index - 1] if index else 0
            upper = rollup.BUCKET_BOUNDS_MS[index]
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return rollup.BUCKET_BOUNDS_MS[-1]


def _add(into, buckets):
    for index, count in enumerate(buckets):
        into[index] += count


def _points(now, window):
    length, step = WINDOWS[window]
    first = now - length
    count = int(length / step)
    return [first + step * (i + 1) for i in range(count)], step


# --- the rollup -------------------------------------------------------------------------------

def _rollup_figures(now, window):
    rollup.flush()  # this process' own latest figures; the others' are at most a flush old
    length, _ = WINDOWS[window]
    rows = TransactionMinute.objects.filter(minute__gt=now - length).values(
        "minute", "service", "calls", "commits", "refusals", "conflicts", "timeouts", "errors", "retries", "buckets"
    )
    points, step = _points(now, window)
    nbuckets = len(rollup.BUCKET_BOUNDS_MS) + 1
    services, histograms = {}, {}
    series_buckets = [[0] * nbuckets for _ in points]
    series_rollbacks = [0 for _ in points]
    for row in rows:
        figures = services.setdefault(row["service"], ServiceFigures(row["service"]))
        figures.calls += row["calls"]
        figures.retries += row["retries"]
        for cause in rollup.CAUSES:
            figures.rollbacks[cause] += row[f"{cause}s"]
        _add(histograms.setdefault(row["service"], [0] * nbuckets), row["buckets"])
        index = min(int((row["minute"] - (now - length)) / step), len(points) - 1)
        _add(series_buckets[index], row["buckets"])
        series_rollbacks[index] += sum(row[f"{cause}s"] for cause in rollup.CAUSES)
    for service, figures in services.items():
        figures.p50_ms, figures.p95_ms, figures.p99_ms = (quantile_ms(q, histograms[service]) for q in QUANTILES)
    duration = {q: [(t, quantile_ms(q, b)) for t, b in zip(points, series_buckets)] for q in (0.5, 0.95)}
    return sorted(services.values(), key=lambda f: -f.calls), duration, list(zip(points, series_rollbacks))


def slowest(now, window, limit=10):
    """The slowest transaction of each minute and service in the window, slowest first."""
    length, _ = WINDOWS[window]
    return list(
        TransactionMinute.objects.filter(minute__gt=now - length, slowest_ms__gt=0)
        .order_by("-slowest_ms")
        .values("minute", "service", "slowest_ms", "slowest_request_id")[:limit]
    )


# --- Prometheus -------------------------------------------------------------------------------

def _prometheus(path, **params):
    url = f"{settings.PROMETHEUS_URL.rstrip('/')}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=settings.PROMETHEUS_QUERY_TIMEOUT_SECONDS) as response:
            body = json.load(response)
    except (OSError, ValueError) as exc:
        raise PrometheusUnavailable(str(exc)) from exc
    if body.get("status") != "success":
        raise PrometheusUnavailable(body.get("error", "query failed"))
    return body["data"]["result"]


def _instant(query, now):
    return _prometheus("query", query=query, time=now.timestamp())


def _range(query, now, window):
    length, step = WINDOWS[window]
    result = _prometheus("query_range", query=query, start=(now - length + step).timestamp(),
                         end=now.timestamp(), step=int(step.total_seconds()))
    values = {float(t): float(v) for t, v in (result[0]["values"] if result else [])}
    points, _ = _points(now, window)
    return [(t, _finite(values.get(t.timestamp()))) for t in points]


def _finite(value):
    return None if value is None or value != value else value  # NaN: no transaction at all


def _prometheus_figures(now, window):
    span = {"hour": "1h", "day": "1d"}[window]
    step = f"{int(WINDOWS[window][1].total_seconds())}s"
    services = {}

    def each(query):
        for sample in _instant(query, now):
            yield sample["metric"], _finite(float(sample["value"][1]))

    for metric, value in each(f"sum by (service) (increase(creatorcompass_transactions_total[{span}]))"):
        services.setdefault(metric["service"], ServiceFigures(metric["service"])).calls = round(value or 0)
    for q in QUANTILES:
        query = f"histogram_quantile({q}, sum by (service, le) (increase(creatorcompass_transaction_seconds_bucket[{span}])))"
        for metric, value in each(query):
            if metric["service"] in services:
                setattr(services[metric["service"]], f"p{round(q * 100)}_ms", None if value is None else value * 1000)
    for metric, value in each(f"sum by (service, cause) (increase(creatorcompass_transaction_rollbacks_total[{span}]))"):
        if metric["service"] in services and metric["cause"] in rollup.CAUSES:
            services[metric["service"]].rollbacks[metric["cause"]] = round(value or 0)
    query = f'sum by (service) (increase(creatorcompass_transaction_retries_total{{outcome="retried"}}[{span}]))'
    for metric, value in each(query):
        if metric["service"] in services:
            services[metric["service"]].retries = round(value or 0)
    duration = {
        q: [(t, None if v is None else v * 1000) for t, v in _range(
            f"histogram_quantile({q}, sum by (le) (increase(creatorcompass_transaction_seconds_bucket[{step}])))", now, window)]
        for q in (0.5, 0.95)
    }
    rollbacks = [(t, round(v or 0)) for t, v in _range(
        f"sum(increase(creatorcompass_transaction_rollbacks_total[{step}]))", now, window)]
    webhooks = {m["outcome"]: round(v or 0) for m, v in each(
        f"sum by (outcome) (increase(creatorcompass_webhook_events_total[{span}]))")}
    return sorted(services.values(), key=lambda f: -f.calls), duration, rollbacks, webhooks


# --- our own tables ---------------------------------------------------------------------------

def job_queue(now):
    """Email jobs waiting (READY), the age of the oldest, jobs RUNNING past JOB_STALE_AFTER, and jobs
    that used up their retries."""
    queued = DBTaskResult.objects.filter(status="READY").aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    stale = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=now - settings.JOB_STALE_AFTER).count()
    oldest = queued["oldest"]
    return {"queued": queued["count"], "oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
            "stale_running": stale, "given_up": jobs_given_up(now).count()}


def webhook_outcomes(now, window):
    """Stripe deliveries stored by dj-stripe in the window, by outcome (the names of
    creatorcompass_webhook_events_total's `outcome`)."""
    length, _ = WINDOWS[window]
    counts = WebhookEventTrigger.objects.filter(created__gt=now - length).aggregate(
        outcome_processed=Count("pk", filter=Q(valid=True, processed=True)),
        outcome_failed=Count("pk", filter=Q(valid=True, processed=False) & ~Q(exception="")),
        outcome_invalid=Count("pk", filter=Q(valid=False)),
    )
    return {name.removeprefix("outcome_"): count for name, count in counts.items() if count}


def transaction_figures(window="hour", now=None):
    """Everything the Transactions page shows for `window` ("hour" or "day")."""
    now = now or timezone.now()
    source, problem = "rollup", None
    if settings.PROMETHEUS_URL:
        try:
            services, duration, rollbacks, webhooks = _prometheus_figures(now, window)
            source = "prometheus"
        except PrometheusUnavailable as exc:
            problem = f"Prometheus at {settings.PROMETHEUS_URL} did not answer ({exc}); showing the app's own rollup."
    if source == "rollup":
        services, duration, rollbacks = _rollup_figures(now, window)
        webhooks = webhook_outcomes(now, window)
    return {
        "window": window, "now": now, "source": source, "problem": problem,
        "services": services, "duration": duration, "rollbacks": rollbacks, "webhooks": webhooks,
        "slowest": slowest(now, window), "jobs": job_queue(now),
    }
