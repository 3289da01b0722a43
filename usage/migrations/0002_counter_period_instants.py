"""Counters store the instant their period starts, and are unique per (creator, feature, start
instant) instead of per local start date: a period is fixed when it opens, and after a time-zone
change the next period may start on a local date an earlier period started on too."""

import datetime
import zoneinfo

from django.db import migrations, models
from django.db.models import F, Q

LIFETIME_STARTS_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def starts_at_from_period_start(apps, schema_editor):
    """Existing rows opened at local midnight of `period_start` in the creator's time zone (the
    only zone they could have been computed in is the profile's now, as far as is known)."""
    UsageCounter = apps.get_model("usage", "UsageCounter")
    CreatorProfile = apps.get_model("accounts", "CreatorProfile")
    zones = dict(CreatorProfile.objects.values_list("user_id", "timezone"))
    for counter in UsageCounter.objects.filter(starts_at__isnull=True).iterator(chunk_size=2000):
        if counter.resets_at is None:
            counter.starts_at = LIFETIME_STARTS_AT
        else:
            tz = zoneinfo.ZoneInfo(zones.get(counter.user_id) or "UTC")
            midnight = datetime.datetime.combine(counter.period_start, datetime.time.min, tzinfo=tz)
            # Never at or after its end (a zone changed since): the period stays non-empty.
            counter.starts_at = min(midnight.astimezone(datetime.timezone.utc), counter.resets_at - datetime.timedelta(hours=1))
        counter.save(update_fields=["starts_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("usage", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="usagecounter",
            name="starts_at",
            field=models.DateTimeField(null=True, help_text="The instant the period starts."),
        ),
        migrations.RunPython(starts_at_from_period_start, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="usagecounter",
            name="starts_at",
            field=models.DateTimeField(help_text="The instant the period starts."),
        ),
        migrations.RemoveConstraint(model_name="usagecounter", name="usage_counter_one_per_period"),
        migrations.AddConstraint(
            model_name="usagecounter",
            constraint=models.UniqueConstraint(fields=("user", "feature", "starts_at"), name="usage_counter_one_per_period"),
        ),
        migrations.AddConstraint(
            model_name="usagecounter",
            constraint=models.CheckConstraint(
                condition=Q(resets_at__isnull=True) | Q(resets_at__gt=F("starts_at")), name="usage_counter_period_not_empty"
            ),
        ),
    ]
