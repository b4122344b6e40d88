"""The site's forms render through Django's own field rendering ({{ field.as_field_group }})
with one SGDS field template (templates/django/forms/field.html): what a person, and a screen
reader, gets from each kind of field (label or legend, hint, error, control, and the ids
that tie them together), whatever the label or hint says. The admin keeps Django's own."""

import datetime
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.utils.safestring import mark_safe
from django_filters.widgets import RangeWidget

from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker.forms import DesignSystemForm, UKDateField

TAG = Template("{{ field.as_field_group }}")


def render(field) -> str:
    return TAG.render(Context({"field": field})).strip()


class Everything(DesignSystemForm):
    name = forms.CharField(
        label="Your name",
        help_text="As on your badge.",
        max_length=5,
        widget=forms.TextInput(attrs={"class": "ds_input--fixed-10"}),
    )
    notes = forms.CharField(widget=forms.Textarea, required=False)
    colour = forms.ChoiceField(choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect, help_text="Pick one")
    kinds = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple)
    report = forms.ChoiceField(choices=[("", "Any"), ("x", "X")], required=False)
    agree = forms.BooleanField(label="I agree")
    years = forms.CharField(widget=RangeWidget(), required=False, label="Years")
    token = forms.CharField(widget=forms.HiddenInput, initial="t")
    on = UKDateField(label="On", required=False)


class Small(Everything):
    small_controls = True


def test_a_text_input_has_its_label_hint_and_error_tied_to_it():
    form = Everything({"name": "far too long"})
    html = render(form["name"])
    assert html.startswith('<div class="ds_question ds_question--error">')
    assert '<label class="ds_label" for="id_name">Your name</label>' in html
    assert '<div class="ds_hint-text" id="id_name_helptext">As on your badge.</div>' in html
    assert re.search(r'<p class="ds_question__error-message" id="id_name_error">Ensure this value has at most 5', html)
    control = re.search(r"<input [^>]*>", html).group(0)
    assert 'class="ds_input--fixed-10 ds_input ds_input--error"' in control
    assert 'aria-describedby="id_name_helptext id_name_error"' in control and 'aria-invalid="true"' in control
    assert "autofocus" not in control


def test_a_valid_field_shows_no_error():
    html = render(Everything({"name": "Ann"})["name"])
    assert 'class="ds_question"' in html and "ds_question__error-message" not in html and "--error" not in html


def test_radio_and_checkbox_groups_are_fieldsets_with_a_legend():
    form = Small({"colour": "purple"})
    radios = render(form["colour"])
    assert '<fieldset aria-describedby="id_colour_helptext id_colour_error">' in radios
    assert '<legend class="ds_label">Colour</legend>' in radios
    assert radios.count('<div class="ds_radio ds_radio--small">') == 2
    assert '<label class="ds_radio__label" for="id_colour_0">Red</label>' in radios
    boxes = render(Everything({"kinds": ["b"]})["kinds"])
    assert "<fieldset>" in boxes and '<legend class="ds_label">Kinds</legend>' in boxes
    assert '<div class="ds_field-group ds_checkboxes">' in boxes and boxes.count('type="checkbox"') == 2
    assert 'value="b" id="id_kinds_1" checked>' in boxes and 'value="a" id="id_kinds_0">' in boxes
    assert "ds_checkbox--small" not in boxes


def test_a_select_sits_in_the_sgds_wrapper():
    html = render(Everything({"report": "x"})["report"])
    assert '<div class="ds_select-wrapper"><select' in html
    assert '<span class="ds_select-arrow" aria-hidden="true"></span>' in html
    assert re.search(r'<option value="x" selected>X</option>', html)


def test_a_single_checkbox_has_its_label_after_it():
    html = render(Small({})["agree"])
    assert re.search(r'<div class="ds_checkbox ds_checkbox--small">\s*<input [^>]*class="ds_checkbox__input', html)
    assert '<label class="ds_checkbox__label" for="id_agree">I agree</label>' in html
    assert 'id="id_agree_error">This field is required.</p>' in html


def test_every_part_of_a_range_has_its_own_label():
    html = render(Everything()["years"])
    assert "<fieldset>" in html and '<legend class="ds_label">Years</legend>' in html
    assert '<label class="ds_label" for="id_years_0">From</label>' in html
    assert '<label class="ds_label" for="id_years_1">To</label>' in html
    assert html.count('class="ds_input ds_input--fixed-10"') == 2


def test_a_hidden_field_is_only_its_input():
    assert render(Everything()["token"]) == '<input type="hidden" name="token" value="t" id="id_token">'


def test_a_whole_form_renders_each_field_as_a_question():
    html = str(Everything())
    assert html.count('class="ds_question"') == 8 and 'type="hidden" name="token"' in html


def test_the_admin_keeps_djangos_own_field_template():
    class AdminLike(forms.Form):
        name = forms.CharField(help_text="Hint")

    assert isinstance(AdminLike().renderer, DjangoTemplates)
    html = AdminLike()["name"].as_field_group()
    assert "ds_question" not in html and '<div class="helptext" id="id_name_helptext">Hint</div>' in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_labels_hints_errors_and_options_are_escaped(payload):
    class Hostile(DesignSystemForm):
        text = forms.CharField(label=payload, help_text=payload)
        pick = forms.ChoiceField(
            label=payload, help_text=payload, choices=[(payload, payload)], widget=forms.RadioSelect
        )
        many = forms.MultipleChoiceField(
            label=payload, choices=[(payload, [(f"{payload}{i}", payload) for i in range(12)])],
            widget=forms.CheckboxSelectMultiple,
        )  # fmt: skip

        def clean_text(self):
            raise forms.ValidationError(payload)

    form = Hostile({"text": payload, "pick": "nothing", "many": ["x"]})
    for name in ("text", "pick", "many"):
        assert_no_executable_vector(render(form[name]))


def test_a_hint_already_marked_safe_keeps_its_markup():
    class Rules(DesignSystemForm):
        password = forms.CharField(help_text=mark_safe("<ul><li>At least 12 characters</li></ul>"))

    assert '<div class="ds_hint-text" id="id_password_helptext"><ul><li>At least 12' in render(Rules()["password"])


# Long checkbox lists (#21 item 4) -----------------------------------------------------------------


class Organisations(DesignSystemForm):
    owner = forms.MultipleChoiceField(
        label="Addressed to",
        choices=[("Government", [("sg", "Scottish Government")]), ("CPPs", [(f"c{i}", f"CPP {i}") for i in range(12)])],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def test_a_long_checkbox_list_is_grouped_counted_and_marked_for_the_filter_box():
    html = render(Organisations({"owner": ["sg", "c3"]})["owner"])
    assert "<select" not in html
    assert html.count('type="checkbox"') == 13
    assert 'data-tracker-choice-list data-label="Addressed to"' in html
    count = '<p class="ds_hint-text tracker-choice-list__count" id="id_owner_count" aria-live="polite">2 selected</p>'
    assert count in html
    groups = re.findall(r'role="group" aria-labelledby="(id_owner_group_\d)"', html)
    assert groups == ["id_owner_group_1", "id_owner_group_2"]
    assert '<p class="tracker-choice-list__group-title" id="id_owner_group_2">CPPs</p>' in html
    # Every option keeps its own label, in its own group.
    assert '<label class="ds_checkbox__label" for="id_owner_1_3">CPP 3</label>' in html
    assert 'value="c3" id="id_owner_1_3" checked>' in html


def test_a_short_checkbox_list_has_no_filter_box():
    html = render(Everything()["kinds"])
    assert "data-tracker-choice-list" not in html and "selected</p>" not in html


# Dates in UK style (#21 item 5) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("31/03/2018", datetime.date(2018, 3, 31)),
        ("1/7/2016", datetime.date(2016, 7, 1)),
        (" 01.07.2016 ", datetime.date(2016, 7, 1)),
        ("2018-01-01", datetime.date(2018, 1, 1)),  # shared ISO links keep working
        ("29/02/2016", datetime.date(2016, 2, 29)),
    ],
)
def test_a_date_is_read_day_first(typed, expected):
    form = Everything({"on": typed})
    form.is_valid()
    assert form.cleaned_data["on"] == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2018", "31/02/2018 is not a real date: February 2018 has 28 days."),
        ("29/02/2017", "29/02/2017 is not a real date: February 2017 has 28 days."),
        ("31/04/2018", "31/04/2018 is not a real date: April 2018 has 30 days."),
        ("12/13/2018", "12/13/2018 is not a real date: the month must be a number from 1 to 12 (the day comes first)."),
        ("2018-02-30", "2018-02-30 is not a real date: February 2018 has 28 days."),
        ("03/31/2018", "03/31/2018 is not a real date: the month must be a number from 1 to 12 (the day comes first)."),
        ("yesterday", "Enter a date in the format dd/mm/yyyy, for example 31/03/2018."),
    ],
)
def test_an_impossible_date_says_what_is_wrong(typed, message):
    form = Everything({"on": typed})
    assert not form.is_valid()
    assert form.errors["on"] == [message]
    html = render(form["on"])
    assert f'<p class="ds_question__error-message" id="id_on_error">{message}</p>' in html


def test_a_date_input_is_a_uk_text_input_with_a_hint():
    html = render(Everything({"on": "2018-01-05"})["on"])
    control = re.search(r"<input [^>]*>", html).group(0)
    assert 'type="text"' in control and 'value="05/01/2018"' in control and 'inputmode="numeric"' in control
    assert 'aria-describedby="id_on_helptext"' in control
    assert '<div class="ds_hint-text" id="id_on_helptext">For example, 31/03/2018.</div>' in html
