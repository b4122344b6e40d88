from django import forms
from django.conf import settings
from django.utils import timezone

from tracker.forms import DesignSystemForm, UKDateField
from tracker.inputs import validate_date_in_range


def _as_at_field(what: str) -> UKDateField:
    return UKDateField(
        label=f"Show the {what} as at",
        required=False,
        help_text="Recomputed from the history as it stood on that date. Leave empty for today.",
        # Before 1900 there is no history, and near year 1 the dashboard's date arithmetic overflowed.
        validators=[validate_date_in_range],
    )


class AsAtForm(DesignSystemForm):
    """The portfolio's control: a date to see every publication's status "as at"."""

    as_at = _as_at_field("portfolio")

    def clean_as_at(self):
        value = self.cleaned_data.get("as_at")
        if value and value > timezone.localdate():
            raise forms.ValidationError("Choose today or an earlier date: there is no history after today yet.")
        return value


class AppendixForm(AsAtForm):
    """The printable appendix's control: the date its ratings are "as at"."""

    as_at = _as_at_field("appendix")


class DashboardForm(AsAtForm):
    """The dashboard's own controls: a date to see it "as at", and how long counts as stale."""

    as_at = _as_at_field("dashboard")
    stale_months = forms.IntegerField(
        label="Not assessed for more than (months)",
        required=False,
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "ds_input--fixed-4"}),
    )

    def clean_stale_months(self):
        return self.cleaned_data.get("stale_months") or settings.TRACKER_STALE_MONTHS
