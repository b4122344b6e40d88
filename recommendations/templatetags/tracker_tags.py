"""Template tags for the SGDS interface.

- ``{% rag_tag status %}`` renders ``_rag_tag.html``: a status as an SGDS tag,
  its word always visible. ``status`` may be a ``Status``, its integer value
  or its slug. ``{% status_counts summary %}`` renders ``_status_counts.html``:
  a RAG tag and a count per status.
- ``{{ value|rag_status }}`` normalises the same inputs to a ``Status`` (or None).
- ``{{ date|iso_partial_date:precision }}`` gives the machine form of a partial
  date for ``<time datetime="...">`` ("2018-07" for July 2018: no invented day).
- ``{% ds_widget field %}``, ``{% choice_groups field %}``, ``{% ds_subwidgets field %}``
  and ``{{ field|widget_kind }}`` help the SGDS field template
  (templates/django/forms/field.html); ``{{ field|error_anchor }}`` helps ``_error_summary.html``.
"""

from django import forms, template
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join

from recommendations import choice_lists
from recommendations.models import Progress, RatingDefinition, Status
from tracker import richtext
from tracker.dates import DatePrecision
from tracker.dates import iso_partial_date as _iso_partial_date

register = template.Library()


@register.filter(is_safe=True)
def rich_text(value, mode=""):
    """Recommendation text or a progress summary as HTML. Text laid out in lines (plain,
    or with inline markup only) has its paragraphs as <p> and each run of "- " or "•"
    lines as a <ul> list, each line escaped, or sanitised when it holds markup; text
    already marked up in blocks (<p>, lists, <br>) is sanitised as it is. "inline": line
    breaks only, for a one-line excerpt. See tracker.richtext."""
    value = "" if value is None else str(value)
    if mode == "inline" or richtext.has_block_markup(value):
        return richtext.render(value, inline=mode == "inline")
    return format_html_join(
        "\n",
        "{}",
        (
            (
                format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_line(item),) for item in lines)))
                if kind == "ul"
                else format_html(
                    "<p>{}{}</p>", _line(lines[0]), format_html_join("", "<br>{}", ((_line(x),) for x in lines[1:]))
                ),
            )
            for kind, lines in richtext.blocks(value)
        ),
    )


def _line(text):
    """One line of text: escaped, or sanitised if it holds (inline) markup."""
    return richtext.render(text, inline=True) if richtext.has_markup(text) else text


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
    "multi": "ds_input",
    "select": "ds_select",
    "checkbox": "ds_checkbox__input",
}
_ERROR_CLASSES = {
    "input": "ds_input--error",
    "textarea": "ds_input--error",
    "multi": "ds_input--error",
    "select": "ds_select--error",
}


@register.filter
def widget_kind(field) -> str:
    """How the field template lays a bound field out: input, textarea, select, multiselect,
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
    kind = widget_kind(field)
    if kind in {"radios", "checkboxes"} and field.subwidgets:
        return field.subwidgets[0].id_for_label  # id_x_0, or id_x_0_0 when the choices are grouped
    if kind in {"radios", "checkboxes", "multi"}:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


# A checkbox list longer than this gets a box that filters it as one types (static/js/tracker.js).
FILTERABLE_FROM = 10


@register.simple_tag
def choice_groups(field) -> dict:
    """The options of a radio or checkbox group (its bound subwidgets), in the groups its
    choices make: {"groups": [{"name", "options"}], "selected": how many are chosen,
    "filterable": whether the list is long enough to want a type-to-filter box}."""
    options = list(field.subwidgets)
    groups, at = [], 0
    for value, label in field.field.choices:
        if isinstance(label, list | tuple):
            groups.append({"name": value, "options": options[at : at + len(label)]})
            at += len(label)
        elif groups and not groups[-1]["name"]:
            groups[-1]["options"].append(options[at])
            at += 1
        else:
            groups.append({"name": "", "options": [options[at]]})
            at += 1
    return {
        "groups": groups,
        "selected": sum(1 for option in options if option.data["selected"]),
        "filterable": widget_kind(field) == "checkboxes" and len(options) > FILTERABLE_FROM,
    }


@register.simple_tag
def ds_widget(field, extra_class: str = "", **extra_attrs):
    """Render a bound field's widget with the SGDS classes for its kind and state.

    Django adds ``aria-invalid`` and ``aria-describedby`` (``<id>_helptext``,
    ``<id>_error``) itself; templates/django/forms/field.html gives the hint and error
    those ids. ``autofocus`` is dropped: it would carry keyboard and screen reader users
    past the skip link and the page's heading.
    """
    kind = widget_kind(field)
    classes = [field.field.widget.attrs.get("class", ""), _INPUT_CLASSES.get(kind, ""), extra_class]
    if field.errors:
        classes.append(_ERROR_CLASSES.get(kind, ""))
    return field.as_widget(attrs={"class": " ".join(c for c in classes if c), "autofocus": False, **extra_attrs})


# Labels for the parts of django-filter's range widgets, by suffix.
_PART_LABELS = {"min": "From", "max": "To", "after": "From", "before": "To", "lookup": "Lookup"}


@register.simple_tag
def ds_subwidgets(field, extra_class: str = "") -> list[dict]:
    """The parts of a MultiWidget field (e.g. django-filter's RangeWidget), each
    {"id", "label", "html"}, so that the field template can label every input.

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


@register.simple_tag
def active_filters(filterset, request) -> dict:
    """The filters in force on a filtered page, for its "selected filters" summary
    (templates/_active_filters.html): {"groups": [{"label", "items": [{"label", "remove_url"}]}],
    "count", "clear_url"}. Each item's link is this address without that one value (and
    without the page number); "Clear all" keeps only the sort order and page size. Choices
    are named by their labels, dates in UK style, words as typed."""
    form = filterset.form
    params = request.GET
    keep = {name: params.getlist(name) for name in ("sort", "per_page") if params.get(name)}
    groups, count = [], 0
    for field in form:
        if field.is_hidden:
            continue
        values = [value for value in params.getlist(field.html_name) if value.strip()]
        if not values:
            continue
        names = dict(_flat_choices(field.field)) if hasattr(field.field, "choices") else {}
        items = []
        for value in values:
            if names and value not in names:
                continue  # a value the filter ignores (not a choice) is not shown as applied
            rest = params.copy()
            rest.setlist(field.html_name, [v for v in params.getlist(field.html_name) if v != value])
            rest.pop("page", None)
            items.append({"label": _value_label(field, value, names), "remove_url": _address(request, rest)})
        if items:
            groups.append({"label": field.label, "items": items})
            count += len(items)
    clear = request.GET.copy()
    clear.clear()
    for name, values in keep.items():
        clear.setlist(name, values)
    return {"groups": groups, "count": count, "clear_url": _address(request, clear)}


def _flat_choices(field):
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            yield from ((str(v), lab) for v, lab in label)
        else:
            yield str(value), label


def _value_label(field, value: str, names: dict) -> str:
    if names:
        return str(names[value])
    if isinstance(field.field, forms.DateField):
        try:
            return field.field.to_python(value).strftime("%d/%m/%Y")
        except (forms.ValidationError, AttributeError):
            return value
    return f"“{value}”" if field.html_name == "q" else value


def _address(request, params) -> str:
    """The page's address with these parameters, less the empty ones a submitted form leaves."""
    params = params.copy()
    for name in list(params):
        values = [value for value in params.getlist(name) if value.strip()]
        if values:
            params.setlist(name, values)
        else:
            del params[name]
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


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
