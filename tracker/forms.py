"""What every form of the site shares: Django's own form rendering with the Scottish Government
Design System's field template, and dates typed the UK way.

Forms render through Django's ``TemplatesSetting`` renderer, which looks templates up in
the project's TEMPLATES: ``templates/django/forms/field.html`` (the SGDS question: label
or legend, hint, error, control) replaces Django's field template for these forms alone.
The admin keeps Django's default renderer and its own templates.
"""

import calendar
import datetime
import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.forms.renderers import TemplatesSetting

UK_DATE_FORMAT = "%d/%m/%Y"
UK_DATE_HINT = "For example, 31/03/2018."


class DesignSystemForm(forms.Form):
    """A form whose ``{{ field.as_field_group }}`` is an SGDS question.

    ``small_controls``: the smaller SGDS radios and checkboxes (a filter panel's)."""

    default_renderer = TemplatesSetting
    small_controls = False


class SignInForm(AuthenticationForm):
    default_renderer = TemplatesSetting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("username", "password"):
            self.fields[name].widget.attrs["class"] = "ds_input--fluid-two-thirds"


class PasswordForm(PasswordChangeForm):
    default_renderer = TemplatesSetting

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "ds_input--fluid-two-thirds"


class UKDateInput(forms.DateInput):
    """A text input for a date in UK order (dd/mm/yyyy): a browser's own date input follows
    the browser's locale (mm/dd/yyyy in US English), and the rest of the site writes dates
    the UK way."""

    def __init__(self, attrs=None):
        attrs = {"class": "ds_input--fixed-10", "inputmode": "numeric", "autocomplete": "off", **(attrs or {})}
        super().__init__(attrs=attrs, format=UK_DATE_FORMAT)


class UKDateField(forms.DateField):
    """A date typed as dd/mm/yyyy (or d/m/yyyy, with dots or dashes). An ISO date
    (2018-01-01) is read too, so that addresses such as ``?as_at=2018-01-01`` keep working.
    An impossible date (31/02/2018) says what is wrong with it rather than only "invalid"."""

    widget = UKDateInput
    input_formats = [UK_DATE_FORMAT, "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d"]
    default_error_messages = {
        "invalid": "Enter a date in the format dd/mm/yyyy, for example 31/03/2018.",
    }

    def __init__(self, *, help_text: str = "", **kwargs):
        help_text = f"{help_text} {UK_DATE_HINT}".strip() if help_text else UK_DATE_HINT
        super().__init__(help_text=help_text, **kwargs)

    def bound_data(self, data, initial):
        """What the input shows once submitted: a date that reads, in UK order (an ISO link's
        2018-01-05 shows as 05/01/2018); anything else as it was typed, to be corrected."""
        try:
            return self.to_python(data) or data
        except forms.ValidationError:
            return data

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            impossible = _impossible_date(value)
            if impossible:
                raise forms.ValidationError(impossible, code="invalid")
        return super().to_python(value)


def _impossible_date(value: str) -> str:
    """A message when ``value`` has a date's shape (day, month, year in UK or ISO order) but
    names no real day; "" otherwise (other mistakes get the field's "invalid" message)."""
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if not match:
            return ""
        year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return f"{value} is not a real date: the month must be a number from 1 to 12 (the day comes first)."
    try:
        datetime.date(year, month, day)
    except ValueError:
        if year < datetime.MINYEAR:
            return "Enter a year of four digits, for example 2018."
        last = calendar.monthrange(year, month)[1]
        return f"{value} is not a real date: {calendar.month_name[month]} {year} has {last} days."
    return ""
