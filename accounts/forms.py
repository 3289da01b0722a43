from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse

from accounts import services
from accounts.catalog import NICHES, Platform, niche_choices, timezones
from core.errors import DomainError

TIMEZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(timezones())]


def _grouped_niches():
    return [("", "Pick a niche (optional)")] + [
        (Platform(platform).label, list(niches.items())) for platform, niches in NICHES.items()
    ]


class SignupForm(forms.Form):
    """Presentation only: every rule (email, password strength, platform, niche, time zone)
    is checked by the signup service, so the form shows all problems at once."""

    email = forms.CharField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not a common or all-numeric password.",
    )
    display_name = forms.CharField(
        max_length=services.DISPLAY_NAME_MAX, required=False, help_text="How your name appears on shared milestones."
    )
    platform = forms.CharField(widget=forms.RadioSelect(choices=Platform.choices))
    niche = forms.CharField(required=False, widget=forms.Select(choices=_grouped_niches()))
    timezone = forms.CharField(
        label="Time zone",
        initial="UTC",
        widget=forms.Select(choices=TIMEZONE_CHOICES, attrs={"data-guess-timezone": True}),
        help_text="Your days and streaks follow this time zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choosing a platform swaps in its niches (htmx); without JS the grouped list remains.
        self.fields["platform"].widget.attrs.update(
            {"hx-get": reverse("signup_niches"), "hx-target": "#id_niche", "hx-trigger": "change"}
        )
        platform = self.data.get("platform") if self.is_bound else None
        if platform in Platform.values:
            self.fields["niche"].widget.choices = [("", "Pick a niche (optional)")] + niche_choices(platform)

    def signup(self):
        """Create the account through the service (services.signup_request: a taken email is
        answered alike and its owner emailed); map its field errors onto the form. Returns a
        services.SignupOutcome, or None when the form now carries errors."""
        try:
            return services.signup_request(**self.cleaned_data)
        except DomainError as exc:
            for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
            return None


class NichePlatformForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes out through our job queue after commit."""

    def save(self, *args, **kwargs):
        services.password_reset_request(email=self.cleaned_data["email"])

