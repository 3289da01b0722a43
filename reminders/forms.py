"""The reminder preferences form: a partial the settings page can include (templates/reminders/
_preferences_form.html). Presentation only: accounts.services.profile_update checks the values."""

import datetime

from django import forms

from accounts.services import REMINDER_STEP_MINUTES
from reminders.schedule import NUDGE_AT

TIME_CHOICES = [("", "Off: no reminder emails")] + [
    (f"{minutes // 60:02d}:{minutes % 60:02d}", f"{minutes // 60:02d}:{minutes % 60:02d}")
    for minutes in range(0, 24 * 60, REMINDER_STEP_MINUTES)
]


class ReminderPreferencesForm(forms.Form):
    reminder_at = forms.TypedChoiceField(
        label="Daily reminder",
        choices=TIME_CHOICES,
        required=False,
        coerce=datetime.time.fromisoformat,
        empty_value=None,
        help_text="An email with today's task at this time, in your time zone. Not sent once today's task is done.",
    )
    streak_nudge = forms.BooleanField(
        label="Streak at risk",
        required=False,
        help_text=f"At {NUDGE_AT:%H:%M} your time, if your streak is 2 days or more and nothing is done today "
        "(only with a daily reminder time).",
    )

    @classmethod
    def for_profile(cls, profile, data=None):
        initial = {"reminder_at": profile.reminder_at and f"{profile.reminder_at:%H:%M}", "streak_nudge": profile.streak_nudge}
        return cls(data=data, initial=initial)
