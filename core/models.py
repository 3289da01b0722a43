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
