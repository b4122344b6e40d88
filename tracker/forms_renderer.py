"""Django's form renderer, with the plain <input> widgets built in Python.

Every text, number, date... input renders two templates (the widget's, which
includes input.html, which includes attrs.html): about 0.35 ms an input, and a
table page's filter panel has seven (BENCHMARKS.md). These build the same HTML,
every value escaped the same way; tests/test_forms_renderer.py holds the two
equal. Every other template renders as before.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

# The widget templates that are only {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "checkbox", "color", "date", "datetime", "email", "file", "hidden",
        "number", "password", "search", "tel", "text", "time", "url",
    )
)  # fmt: skip


def _text(value) -> str:
    return str(conditional_escape(value))


def input_html(widget: dict) -> str:
    """input.html and attrs.html, in Python."""
    parts = [f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{_text(str(widget["value"]))}"')
    for name, value in widget["attrs"].items():
        if value is not False:
            parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(str(value))}"')
    parts.append(">")
    return "".join(parts)


class FastInputRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return mark_safe(input_html(context["widget"]))  # noqa: S308 - every value escaped  # nosec
        return super().render(template_name, context, request=request)
