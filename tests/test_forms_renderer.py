"""tracker.forms_renderer builds plain <input> widgets in Python for speed: the HTML must be
exactly what Django's own templates render, for every kind of input, value and attribute."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from tests.xss_payloads import PAYLOADS
from tracker.forms_renderer import FastInputRenderer

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"class": "ds_input", "required": True, "disabled": False, "maxlength": 20, "odd": None}),
    forms.NumberInput(attrs={"min": 0, "step": "any"}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.CheckboxInput(),
    forms.FileInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
]
VALUES = [None, "", "plain", 0, 42, 3.5, True, False, datetime.date(2026, 11, 23), 'a "quoted" <b>&</b>', *PAYLOADS]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_inputs_render_exactly_as_django_templates_do(widget):
    for value in VALUES:
        for attrs in (None, {"id": "id_x", "aria-describedby": 'x_helptext" onfocus="alert(1)'}):
            expected = widget.render("field", value, attrs=attrs, renderer=DjangoTemplates())
            assert widget.render("field", value, attrs=attrs, renderer=FastInputRenderer()) == expected, (widget, value)


def test_other_widgets_still_render_through_templates():
    select = forms.Select(choices=[("a", "<A>"), ("b", "B")])
    assert select.render("s", "b", renderer=FastInputRenderer()) == select.render("s", "b", renderer=DjangoTemplates())


def test_the_site_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FastInputRenderer)
