from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_i28_email_canonical_unique")]

    operations = [
        migrations.AddField(
            model_name="creatorprofile",
            name="reminder_at",
            field=models.TimeField(
                blank=True, null=True,
                help_text="Local time of the daily reminder (15-minute steps); empty: off.",
            ),
        ),
        migrations.AddField(
            model_name="creatorprofile",
            name="streak_nudge",
            field=models.BooleanField(
                default=True,
                help_text="Email the streak-at-risk nudge in the local evening (needs a reminder time too).",
            ),
        ),
    ]
