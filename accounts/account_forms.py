"""The settings page's forms. Presentation only: every rule is the services' (accounts.services,
accounts.account_services), and each form shows the errors the service gives beside its field."""

from django import forms

from accounts import account_services, services
from accounts.catalog import EMAIL_KIND_FIELDS, EmailKind, niche_choices
from accounts.forms import TIMEZONE_CHOICES
from core.errors import DomainError

TIMEZONE_RULES = (
    "Your days follow this time zone: a streak continues when you complete a task on the next "
    "local day and breaks after a local day without one; plan quotas reset at local midnight at the "
    "start of each period. Changing it applies from your next completion: days already counted "
    "stay as they were."
)


class ServiceForm(forms.Form):
    """A form whose `run(call)` calls a service and, when it refuses, puts the refusal's field
    messages beside the fields (`field_names` maps a service's field name to the form's)."""

    field_names = {}

    def run(self, call):
        try:
            return call()
        except DomainError as exc:
            for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
                name = self.field_names.get(field, field)
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
            return None


class ProfileSettingsForm(ServiceForm):
    display_name = forms.CharField(max_length=200, help_text="Shown on your shared milestone pages.")
    niche = forms.CharField(required=False)
    timezone = forms.CharField(label="Time zone", widget=forms.Select(choices=TIMEZONE_CHOICES),
                               help_text=TIMEZONE_RULES)
    milestone_emails = forms.BooleanField(required=False, label=EmailKind.MILESTONES.label)
    reminder_emails = forms.BooleanField(required=False, label=EmailKind.REMINDERS.label)
    news_emails = forms.BooleanField(required=False, label=EmailKind.NEWS.label)

    def __init__(self, *args, profile, **kwargs):
        initial = {name: getattr(profile, name) for name in ("display_name", "niche", "timezone",
                                                             *EMAIL_KIND_FIELDS.values())}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["niche"].widget = forms.Select(choices=[("", "No niche")] + niche_choices(profile.platform))

    def save(self, *, user, keep_session_key=None):
        return self.run(lambda: services.profile_update(user=user, **self.cleaned_data))


class EmailChangeForm(ServiceForm):
    new_email = forms.CharField(label="New email", max_length=254,
                                widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label="Current password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def save(self, *, user, keep_session_key):
        return self.run(lambda: account_services.email_change(user=user, keep_session_key=keep_session_key,
                                                              **self.cleaned_data))


class PasswordChangeForm(ServiceForm):
    current_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text="At least 8 characters, not a common or all-numeric password.")
    field_names = {"password": "current_password"}

    def save(self, *, user, keep_session_key):
        return self.run(lambda: account_services.password_change(user=user, keep_session_key=keep_session_key,
                                                                 **self.cleaned_data))


class PasswordConfirmForm(ServiceForm):
    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
