"""Template tags for the SGDS interface.

- ``{% rag_tag status %}`` renders ``_rag_tag.html``: a status as an SGDS tag,
  its word always visible. ``status`` may be a ``Status``, its integer value
  or its slug. ``{% status_counts summary %}`` renders ``_status_counts.html``:
  a RAG tag and a count per status.
- ``{{ value|rag_status }}`` normalises the same inputs to a ``Status`` (or None).
- ``{{ date|iso_partial_date:precision }}`` gives the machine form of a partial
  date for ``<time datetime="...">`` ("2018-07" for July 2018: no invented day).
- ``{% ds_field field %}`` renders a form field as an SGDS question (label, hint,
  error, control); ``{% ds_widget field %}``, ``{{ field|widget_kind }}`` and
  ``{{ field|error_anchor }}`` help it and ``_error_summary.html``.
"""

from django import forms, template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from recommendations import choice_lists
from recommendations.models import Progress, RatingDefinition, Status
from tracker import richtext
from tracker.dates import DatePrecision
from tracker.dates import iso_partial_date as _iso_partial_date

register = template.Library()


@register.filter(is_safe=True)
def rich_text(value, mode=""):
    """Recommendation text or a progress summary as HTML: allowed markup sanitised, plain text
    escaped with its paragraphs ("inline": line breaks only). See tracker.richtext."""
    return richtext.render(value, inline=mode == "inline")


@register.filter
def plain_text(value):
    """The words alone, for excerpts (truncate after this)."""
    return richtext.plain(value)


@register.filter
def rag_status(value) -> Status | None:
    """A Status from a Status, its integer value or its slug ("not-rated"); None if it is none of them."""
    if isinstance(value, Status):
        return value
    try:
        return Status(int(value))
    except (TypeError, ValueError):
        pass
    try:
        return Status.from_slug(str(value))
    except KeyError:
        return None


# The SGDS tag colour of each status (its own colours are tracker.css's tracker-rag--<slug>).
_SGDS_TAG = {Status.RED: "ds_tag--red", Status.AMBER: "ds_tag--yellow", Status.GREEN: "ds_tag--green"}


@register.inclusion_tag("_rag_tag.html")
def rag_tag(status) -> dict:
    status = rag_status(status)
    return {"status": status, "sgds_tag": _SGDS_TAG.get(status, "ds_tag--grey")}


_RAG_TAGS: dict = {}


def rag_tag_html(status) -> str:
    """``_rag_tag.html`` for this status, as a string, for Python that builds a table's cells
    (recommendations/tables.py). Kept for that alone: templates use ``{% rag_tag %}``. There
    are five statuses (and "none of them"), so each is rendered once per process."""
    status = rag_status(status)
    try:
        return _RAG_TAGS[status]
    except KeyError:
        html = _RAG_TAGS[status] = render_to_string("_rag_tag.html", rag_tag(status))
        return html


@register.inclusion_tag("_status_counts.html")
def status_counts(summary, show_percent=False) -> dict:
    """The statuses that have recommendations, each as a RAG tag and its count (and, with
    ``show_percent``, its share), in severity order. ``summary`` is
    ``recommendations.selectors.status_summary`` output."""
    return {"summary": summary, "show_percent": show_percent}


@register.filter
def iso_partial_date(value, precision=DatePrecision.DAY) -> str:
    return _iso_partial_date(value, precision or DatePrecision.DAY)


# Forms -------------------------------------------------------------------------------------------

_INPUT_CLASSES = {
    "input": "ds_input",
    "textarea": "ds_input",
    "multiselect": "ds_input tracker-select-multiple",
    "multi": "ds_input",
    "select": "ds_select",
    "checkbox": "ds_checkbox__input",
}
_ERROR_CLASSES = {
    "input": "ds_input--error",
    "textarea": "ds_input--error",
    "multi": "ds_input--error",
    "multiselect": "ds_input--error",
    "select": "ds_select--error",
}


@register.filter
def widget_kind(field) -> str:
    """How ds_field lays a bound field out: input, textarea, select, multiselect,
    radios, checkboxes, checkbox, multi (several inputs in a fieldset) or hidden."""
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    # CheckboxSelectMultiple is a subclass of RadioSelect: test it first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.SelectMultiple):
        return "multiselect"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.MultiWidget):
        return "multi"
    return "input"


@register.filter
def error_anchor(field) -> str:
    """The id an error summary link should point at: the field's first focusable control."""
    if widget_kind(field) in {"radios", "checkboxes", "multi"}:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


@register.simple_tag
def breakdown_rows(rows, link=False) -> str:
    """The body rows of reports/_breakdown_table.html: the group (an owner linked to its page
    when ``link``), its count per status, its total. Built here: a dashboard has a row per
    organisation, and a template loop over their cells was a fifth of the page's time."""
    parts = []
    for row in rows:
        group = row["group"]
        url = reverse("recommendations:owner", args=[group.slug]) if link else None
        name = format_html('<a href="{}">{}</a>', url, group) if url else escape(group)
        cells = "".join(f'<td class="tracker-table__number">{item["count"]:d}</td>' for item in row["summary"])
        parts.append(
            format_html(
                '<tr>\n  <th scope="row">{}</th>\n  {}<td class="tracker-table__number">{}</td>\n</tr>',
                name,
                mark_safe(cells),  # noqa: S308 - integers only  # nosec
                row["total"],
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - each part built by format_html  # nosec


@register.simple_tag
def ds_choice_inputs(field, small=False) -> str:
    """The options of a radio or checkbox group as SGDS radios or checkboxes, each with its
    label. Built here rather than in a template: a template loop cost more than the rest of
    a filter panel's fields (every table page has three such groups)."""
    kind = "radio" if widget_kind(field) == "radios" else "checkbox"
    size = f" ds_{kind}--small" if small else ""
    parts = []
    for option in field.subwidgets:
        data = option.data
        checked = " checked" if data["selected"] else ""
        parts.append(
            format_html(
                '<div class="ds_{}{}"><input class="ds_{}__input" type="{}" name="{}" value="{}" id="{}"{}>'
                '<label class="ds_{}__label" for="{}">{}</label></div>',
                kind,
                size,
                kind,
                data["type"],
                data["name"],
                str(data["value"]),
                option.id_for_label,
                checked,
                kind,
                option.id_for_label,
                option.choice_label,
            )
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - each part built by format_html  # nosec


@register.simple_tag
def ds_widget(field, extra_class: str = "", **extra_attrs):
    """Render a bound field's widget with the SGDS classes for its kind and state.

    Django adds ``aria-invalid`` and ``aria-describedby`` (``<id>_helptext``,
    ``<id>_error``) itself; ds_field gives the hint and error those ids.
    ``autofocus`` is dropped: it would carry keyboard and screen reader users
    past the skip link and the page's heading.
    """
    kind = widget_kind(field)
    classes = [field.field.widget.attrs.get("class", ""), _INPUT_CLASSES.get(kind, ""), extra_class]
    if field.errors:
        classes.append(_ERROR_CLASSES.get(kind, ""))
    return field.as_widget(attrs={"class": " ".join(c for c in classes if c), "autofocus": False, **extra_attrs})


@register.simple_tag
def ds_field(field, width: str = "", small: bool = False, label_class: str = "") -> str:
    """One form field as an SGDS question: label (or legend), hint, error message, control.

    ``width`` is an SGDS width modifier for the control (``ds_input--fluid-two-thirds``,
    ``ds_input--fixed-10``), ``small`` the smaller radios and checkboxes of a filter panel,
    ``label_class`` replaces ``ds_label``. The hint and the error carry the ids Django's
    ``aria-describedby`` points at (``<id>_helptext``, ``<id>_error``); a group's
    ``<fieldset>`` points at them itself. Labels and hints are escaped unless already marked
    safe (Django's password rules are). Built in Python: as a template included per field, a
    filter panel's eleven fields cost 4-5 ms a page (BENCHMARKS.md, fifth round)."""
    kind = widget_kind(field)
    if kind == "hidden":
        return conditional_escape(field)  # the widget, and its initial value if the field shows one
    label_class = label_class or "ds_label"
    label = conditional_escape(field.label)
    messages = _field_messages(field)
    if kind in {"radios", "checkboxes", "multi"}:
        described = []
        if field.help_text:
            described.append(f"{field.auto_id}_helptext")
        if field.errors:
            described.append(f"{field.auto_id}_error")
        describedby = f' aria-describedby="{escape(" ".join(described))}"' if described else ""
        if kind == "multi":
            parts = "".join(
                f'<div class="tracker-field-part"><label class="ds_label" for="{escape(part["id"])}">'
                f"{escape(part['label'])}</label>{part['html']}</div>"
                for part in ds_subwidgets(field, width or "ds_input--fixed-10")
            )
            control = f'<div class="ds_field-group ds_field-group--inline">{parts}</div>'
        else:
            group = " ds_checkboxes" if kind == "checkboxes" else ""
            control = f'<div class="ds_field-group{group}">{ds_choice_inputs(field, small)}</div>'
        legend = f'<legend class="{escape(label_class)}">{label}</legend>'
        body = f"<fieldset{describedby}>\n{legend}\n{messages}{control}\n</fieldset>"
    elif kind == "checkbox":
        size = " ds_checkbox--small" if small else ""
        body = (
            f'{messages}<div class="ds_checkbox{size}">\n{ds_widget(field)}\n'
            f'<label class="ds_checkbox__label" for="{escape(field.id_for_label)}">{label}</label>\n</div>'
        )
    else:
        label_html = f'<label class="{escape(label_class)}" for="{escape(field.id_for_label)}">{label}</label>'
        if kind == "select":
            wrapper = f" {escape(width)}" if width else ""
            control = (
                f'<div class="ds_select-wrapper{wrapper}">{ds_widget(field)}'
                '<span class="ds_select-arrow" aria-hidden="true"></span></div>'
            )
        else:
            control = ds_widget(field, width)
        body = f"{label_html}\n{messages}{control}"
    error = " ds_question--error" if field.errors else ""
    return mark_safe(f'<div class="ds_question{error}">\n{body}\n</div>')  # noqa: S308 - every value escaped  # nosec


def _field_messages(field) -> str:
    parts = []
    if field.help_text:
        hint = conditional_escape(field.help_text)
        parts.append(f'<div class="ds_hint-text" id="{escape(field.auto_id)}_helptext">{hint}</div>')
    if field.errors:
        errors = " ".join(str(conditional_escape(error)) for error in field.errors)
        parts.append(f'<p class="ds_question__error-message" id="{escape(field.auto_id)}_error">{errors}</p>')
    return "".join(f"{part}\n" for part in parts)


# Labels for the parts of django-filter's range widgets, by suffix.
_PART_LABELS = {"min": "From", "max": "To", "after": "From", "before": "To", "lookup": "Lookup"}


@register.simple_tag
def ds_subwidgets(field, extra_class: str = "") -> list[dict]:
    """The parts of a MultiWidget field (e.g. django-filter's RangeWidget), each
    {"id", "label", "html"}, so that ds_field can label every input.

    Labels come from django-filter's suffixes ("min" -> "From", "max" -> "To"),
    else "Part 1", "Part 2"... Uses only Widget.get_context() and render().
    """
    widget = field.field.widget
    classes = ["ds_input", extra_class, "ds_input--error" if field.errors else ""]
    attrs = field.build_widget_attrs({"class": " ".join(c for c in classes if c), "autofocus": False}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    suffixes = getattr(widget, "suffixes", None) or []
    parts = []
    for index, (subwidget, sub) in enumerate(zip(widget.widgets, context["subwidgets"], strict=False)):
        suffix = suffixes[index] if index < len(suffixes) else ""
        label = _PART_LABELS.get(suffix, suffix.capitalize() if suffix else f"Part {index + 1}")
        html = subwidget.render(sub["name"], sub["value"], sub["attrs"], renderer=field.form.renderer)
        parts.append({"id": sub["attrs"].get("id", ""), "label": label, "html": html})
    return parts


@register.filter
def dict_get(mapping, key):
    """``mapping[key]`` for keys a template cannot spell (``data-smallscreen``); "" when absent."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def export_url(request, fmt: str) -> str:
    """The current URL with ?_export=fmt (and no page), so the export is exactly the filtered, sorted set."""
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("per_page", None)
    params["_export"] = fmt
    return f"{request.path}?{params.urlencode()}"


# What the ratings mean (#19) ---------------------------------------------------------------


@register.filter
def progress_label(value) -> str:
    """A response's progress value ("implemented") as its label ("Implemented")."""
    try:
        return Progress(value).label
    except ValueError:
        return ""


@register.inclusion_tag("recommendations/_rating_legend.html")
def rating_legend(progress: bool = False) -> dict:
    """The admins' definitions of Red, Amber, Green and Not rated (and, with ``progress``, of
    each response progress value), kept in the cache under the data version: no query while
    the data are unchanged."""
    definitions = choice_lists.get(
        "rating-definitions", lambda: list(RatingDefinition.objects.values_list("key", "label", "definition"))
    )
    ratings = [(key, label, text) for key, label, text in definitions if key in _RATING_KEYS]
    progress_values = [(key, label, text) for key, label, text in definitions if key in Progress.values]
    return {"ratings": ratings, "progress_values": progress_values if progress else []}


_RATING_KEYS = {"red", "amber", "green", "not-rated", "never-assessed"}
