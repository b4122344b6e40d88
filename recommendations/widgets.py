"""Select widgets for long choice lists (thousands of reports in the table's filter and
the update form's source publication).

Django renders every <option> through a template: 4,000 reports took 150-400 ms a
page at the benchmark's scale (BENCHMARKS.md). These widgets build the same HTML
(same attributes, optgroups and selection, every value escaped) in Python, in a
tenth of the time.
"""

import html

from django import forms
from django.utils.safestring import mark_safe


def _escape(value) -> str:
    """conditional_escape without its lazy-string wrapper (measurably slower per option)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _attrs(attrs: dict) -> str:
    """Django's widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


class FastSelectMixin:
    """Renders like forms.Select, without building a context dict per option."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        selected = set(self.format_value(value))
        parts = [f'<select name="{_escape(name)}"{_attrs(final_attrs)}>']
        for group_name, options in self._groups():
            if group_name:
                parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
            for option_value, label in options:
                option_value = "" if option_value is None else str(option_value)
                mark = ""
                if option_value in selected:
                    mark = " selected"
                    if not self.allow_multiple_selected:
                        selected = set()  # a single select selects its first match only, as Django's does
                parts.append(f'\n  <option value="{_escape(option_value)}"{mark}>{_escape(label)}</option>')
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped  # nosec

    def _groups(self):
        """(group name or None, [(value, label)]) in order, as ChoiceWidget.optgroups groups them."""
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                yield option_value, label
            else:
                yield None, [(option_value, label)]


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass
