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
