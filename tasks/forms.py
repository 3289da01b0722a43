"""The tasks pages' forms: every field a page posts is read through one of these (a value of
the wrong type is a form error, never a 500). Lengths and the other rules are the services'."""

from django import forms

from accounts.catalog import Platform
from tasks.services.exports import FORMATS

# Ids are 64-bit columns: a bigger number is not an id (the database would raise).
_MAX_ID = 2**63 - 1


class TaskCompleteForm(forms.Form):
    quality = forms.IntegerField(required=False, min_value=1, max_value=5)
    notes = forms.CharField(required=False, strip=False)
    next = forms.CharField(required=False, max_length=2000)


class IdeaForm(forms.Form):
    """Title, notes and task of an idea; the service checks the rules (title not blank, the
    task on a followed roadmap)."""

    title = forms.CharField(required=False, strip=False)
    notes = forms.CharField(required=False, strip=False)
    task = forms.IntegerField(required=False, min_value=1, max_value=_MAX_ID)

    def service_values(self):
        data = self.cleaned_data
        return {"title": data["title"], "notes": data["notes"], "task_id": data["task"]}


class PlatformForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices)


class RoadmapFilterForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices, required=False)


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(fmt, fmt) for fmt in FORMATS])
    platform = forms.ChoiceField(choices=Platform.choices, required=False)
