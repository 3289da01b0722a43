from django.conf import settings
from django.db import models


class SentEmail(models.Model):
    """One row per email the jobs are asked to send, keyed by what it is about
    (e.g. ``welcome:42``). The key is unique, so a job that runs twice, or two workers that
    race, send it once: a worker must claim the row before it sends."""

    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.key


class JobRetry(models.Model):
    """A failed or stale background job that was enqueued again. One row per retried job (the
    unique job id), written in the same transaction as the new job, so two sweepers (or a
    sweeper and an admin) never retry the same job twice. `attempt` counts the chain."""

    job_id = models.UUIDField(unique=True)
    retried_as = models.UUIDField(unique=True)
    attempt = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.job_id} → {self.retried_as} (attempt {self.attempt})"


class CatalogueVersion(models.Model):
    """One row whose token changes, in the same transaction, whenever the catalogue (roadmap
    tasks, milestones, plans) changes. Processes keep a copy of the catalogue for as long as
    the token they read stays the same (core.catalog.catalogue_cached): one small query
    instead of several larger ones on the hot path."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token


class TransactionMinute(models.Model):
    """Per-minute, per-service transaction figures the app keeps for its own admin page when no
    Prometheus is configured (core.rollup). Each process adds up its transactions in memory and
    writes its own row per minute and service every ROLLUP_FLUSH_SECONDS, outside any
    transaction (an upsert of its running totals, so processes never contend for a row), and
    the hot path pays a dictionary update, not a write. `buckets` counts durations per bucket
    of the Prometheus histogram (core.transactions.DURATION_BUCKETS, then +Inf), so
    percentiles are estimated the same way as `histogram_quantile`."""

    minute = models.DateTimeField()
    service = models.CharField(max_length=100)
    process = models.CharField(max_length=100)
    calls = models.PositiveIntegerField(default=0)
    commits = models.PositiveIntegerField(default=0)
    refusals = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    timeouts = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField(default=0)
    buckets = models.JSONField(default=list)
    slowest_ms = models.FloatField(default=0)
    slowest_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["minute", "service", "process"], name="transaction_minute_unique")]
        indexes = [models.Index(fields=["minute"])]

    def __str__(self):
        return f"{self.service} @ {self.minute:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """One mutating API request sent with an `Idempotency-Key` header (core.idempotency), per
    creator: unique (user, key), so of two requests with one key exactly one runs. `fingerprint`
    is the request's method, path and body; `applied_at` is set inside the transaction of the
    service the request ran (it commits with the effect, or not at all); the answer (`status`,
    `headers`, `body`) is stored right after. Kept IDEMPOTENCY_KEY_TTL, then pruned."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.user_id}:{self.key}"
