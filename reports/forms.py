from django import forms
from django.conf import settings


class DashboardForm(forms.Form):
    """The dashboard's own controls: a date to see it "as at", and how long counts as stale."""

    as_at = forms.DateField(
        label="Show the dashboard as at",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Recomputed from the history as it stood on that date. Leave empty for today.",
    )
    stale_months = forms.IntegerField(
        label="Not assessed for more than (months)",
        required=False,
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean_stale_months(self):
        return self.cleaned_data.get("stale_months") or settings.TRACKER_STALE_MONTHS
