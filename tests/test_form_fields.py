"""{% ds_field %} lays every kind of form field out as an SGDS question: what a person,
and a screen reader, gets from each (label or legend, hint, error, control, and the ids
that tie them together), whatever the label or hint says."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.utils.safestring import mark_safe
from django_filters.widgets import RangeWidget

from tests.xss_payloads import PAYLOADS, assert_no_executable_vector

TAG = Template("{% load tracker_tags %}{% ds_field field width=width small=small label_class=label_class %}")


def render(field, width="", small=False, label_class="") -> str:
    context = {"field": field, "width": width, "small": small, "label_class": label_class}
    return TAG.render(Context(context))


class Everything(forms.Form):
    name = forms.CharField(label="Your name", help_text="As on your badge.", max_length=5)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    colour = forms.ChoiceField(choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect, help_text="Pick one")
    kinds = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple)
    report = forms.ChoiceField(choices=[("", "Any"), ("x", "X")], required=False)
    agree = forms.BooleanField(label="I agree")
    years = forms.CharField(widget=RangeWidget(), required=False, label="Years")
    token = forms.CharField(widget=forms.HiddenInput, initial="t")


def test_a_text_input_has_its_label_hint_and_error_tied_to_it():
    form = Everything({"name": "far too long"})
    html = render(form["name"], width="ds_input--fixed-10")
    assert html.startswith('<div class="ds_question ds_question--error">')
    assert '<label class="ds_label" for="id_name">Your name</label>' in html
    assert '<div class="ds_hint-text" id="id_name_helptext">As on your badge.</div>' in html
    assert re.search(r'<p class="ds_question__error-message" id="id_name_error">Ensure this value has at most 5', html)
    control = re.search(r"<input [^>]*>", html).group(0)
    assert 'class="ds_input ds_input--fixed-10 ds_input--error"' in control
    assert 'aria-describedby="id_name_helptext id_name_error"' in control and 'aria-invalid="true"' in control
    assert "autofocus" not in control


def test_a_valid_field_shows_no_error():
    html = render(Everything({"name": "Ann"})["name"])
    assert 'class="ds_question"' in html and "ds_question__error-message" not in html and "--error" not in html


def test_radio_and_checkbox_groups_are_fieldsets_with_a_legend():
    form = Everything({"colour": "purple"})
    radios = render(form["colour"], small=True)
    assert '<fieldset aria-describedby="id_colour_helptext id_colour_error">' in radios
    assert '<legend class="ds_label">Colour</legend>' in radios
    assert radios.count('<div class="ds_radio ds_radio--small">') == 2
    assert '<label class="ds_radio__label" for="id_colour_0">Red</label>' in radios
    boxes = render(Everything()["kinds"], label_class="ds_label ds_h3")
    assert "<fieldset>" in boxes and '<legend class="ds_label ds_h3">Kinds</legend>' in boxes
    assert '<div class="ds_field-group ds_checkboxes">' in boxes and boxes.count('type="checkbox"') == 2


def test_a_select_sits_in_the_sgds_wrapper():
    html = render(Everything({"report": "x"})["report"], width="ds_input--fixed-20")
    assert '<div class="ds_select-wrapper ds_input--fixed-20"><select' in html
    assert '<span class="ds_select-arrow" aria-hidden="true"></span>' in html
    assert '<option value="x" selected>X</option>' in html


def test_a_single_checkbox_has_its_label_after_it():
    html = render(Everything({})["agree"], small=True)
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


@pytest.mark.parametrize("payload", PAYLOADS)
def test_labels_hints_and_errors_are_escaped(payload):
    class Hostile(forms.Form):
        text = forms.CharField(label=payload, help_text=payload)
        pick = forms.ChoiceField(
            label=payload, help_text=payload, choices=[(payload, payload)], widget=forms.RadioSelect
        )

        def clean_text(self):
            raise forms.ValidationError(payload)

    form = Hostile({"text": payload, "pick": "nothing"})
    for name in ("text", "pick"):
        assert_no_executable_vector(render(form[name]))


def test_a_hint_already_marked_safe_keeps_its_markup():
    class Rules(forms.Form):
        password = forms.CharField(help_text=mark_safe("<ul><li>At least 12 characters</li></ul>"))

    assert '<div class="ds_hint-text" id="id_password_helptext"><ul><li>At least 12' in render(Rules()["password"])
