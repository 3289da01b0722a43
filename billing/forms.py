"""The billing pages' forms: presentation only. The plan and interval rules are checked by the
checkout service (billing.services.checkout), which names the field at fault."""

from django import forms


class IntentForm(forms.Form):
    """One click of the creator: the key the page rendered (templatetag `intent_key`)."""

    intent_key = forms.CharField(required=False, max_length=64)


class CheckoutForm(IntentForm):
    plan = forms.CharField(required=False, max_length=40)
    interval = forms.CharField(required=False, max_length=10)


class BillingPageForm(forms.Form):
    """`?checkout=success`: Stripe sent the creator back after paying."""

    checkout = forms.CharField(required=False, max_length=20)


def cleaned(form):
    """The form's values, or None when a field is too long to be one of ours."""
    return form.cleaned_data if form.is_valid() else None
