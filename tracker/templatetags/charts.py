"""Server-rendered SVG charts of RAG status: ``{% load charts %}``.

- ``{% rag_bar summary %}``: a horizontal 100%-stacked bar, one segment per
  status with recommendations, each count printed in its segment where it
  fits, and a legend of RAG tags and counts.
  ``{% rag_bar summary compact=True %}`` is a thin bar for a table row (no
  numbers in it); ``legend=False`` leaves the legend out (use it only where
  the counts are shown as text beside the bar); ``caption="..."`` names the
  chart (a visible caption on the full bar; in the accessible name of both).
- ``{% rag_trend trend %}``: a column per assessment date (oldest left), each
  stacked by status count, with a y axis of counts, a legend, and after it a
  table of the same numbers.
  ``caption="..."`` overrides the table's caption.

``summary`` is ``recommendations.selectors.status_summary`` output: a dict
``{"status", "count", "percent"}`` per status in severity order. ``trend`` is
a list, oldest first, of ``{"date", "label", "summary"}``.

Colour is never the only cue: every segment also has its own pattern (or, for
"Never assessed", a white fill and a dashed outline, like its tag), a dark
outline and a white gap between segments, and the legend names each status
with its RAG tag. The colours are the RAG tags' (tracker.css and
_rag_tag.html): a tag's background fills the segment and its text colour draws
the outline, the pattern and the count, so the count has the tag's contrast
(7.3:1 to 10.7:1).

All geometry is computed here (``_bar``, ``_trend``), and so is the markup
(``_bar_html``, ``_trend_html``). Horizontal positions are percentages of the
chart's width (so a chart fills its container) and vertical ones pixels, so text and patterns keep their size
and shape however wide the chart is drawn. No JavaScript, no inline styles:
SVG presentation attributes and classes in tracker.css only.
"""

import functools
import itertools
import math
from dataclasses import dataclass

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from recommendations.models import Status
from tracker.templatetags.tracker_tags import rag_tag_html

register = template.Library()


@dataclass(frozen=True)
class Swatch:
    fill: str  # the RAG tag's background
    ink: str  # the RAG tag's text colour: outline, pattern and numbers
    pattern: str  # "crosshatch", "hatch", "dots" or "" (plain)
    dashed: bool = False


SWATCHES = {
    Status.RED: Swatch("#fee6e2", "#951804", "crosshatch"),  # 7.3:1
    Status.AMBER: Swatch("#feeb98", "#594700", "hatch"),  # 7.5:1
    Status.GREEN: Swatch("#cff4da", "#0e3c1b", ""),  # 10.5:1
    Status.NOT_RATED: Swatch("#ebebeb", "#3e3e3e", "dots"),  # 9.0:1
    Status.NEVER_ASSESSED: Swatch("#ffffff", "#3e3e3e", "", dashed=True),  # 10.7:1
}

# Pattern tiles (userSpaceOnUse, pixels), drawn in the status's ink.
PATTERN_SIZE = 8
_PATTERN_SHAPES = {
    # "/" diagonals; the extra corner pieces make the tile seamless.
    "hatch": {"lines": [(0, 8, 8, 0), (-2, 2, 2, -2), (6, 10, 10, 6)], "dots": []},
    "crosshatch": {
        "lines": [(0, 8, 8, 0), (-2, 2, 2, -2), (6, 10, 10, 6), (0, 0, 8, 8), (-2, 6, 2, 10), (6, -2, 10, 2)],
        "dots": [],
    },
    "dots": {"lines": [], "dots": [(2, 2, 1.25), (6, 6, 1.25)]},
}
PATTERN_OPACITY = "0.55"

# Segment edges: a dark outline (the tag's outline) inside a white gap. Each
# segment is a nested <svg> that clips its content, so a stroke centred on its
# edge shows only its inner half: 2.5px of ink under 1.5px of white leave a
# 1.5px white margin and a 1px ink line; adjacent segments are 3px apart.
INK_STROKE = 5
GAP_STROKE = 3
DASHES = "6 4"

# In-bar numbers are printed where they fit in the narrowest likely chart (a
# 320px screen less the page's side padding); a number that needs a wider
# chart is shown by a container query in tracker.css once the bar is at least
# that wide (one of COUNT_BREAKPOINTS), and never in a narrower one.
MIN_CHART_WIDTH = 288
COUNT_BREAKPOINTS = (480, 640, 800, 960, 1120)
BAR_HEIGHT = 40
COMPACT_BAR_HEIGHT = 16
BAR_FONT_SIZE = 16
DIGIT_WIDTH = 10  # px per digit of a bold 16px number, generously
NUMBER_PADDING = 12

# Trend chart (pixels vertically, percentages horizontally).
TREND_TOP = 32  # room for the axis title above the top tick
TREND_PLOT_HEIGHT = 200
TREND_FONT_SIZE = 14
TREND_CHAR_WIDTH = 8  # px per character of a 14px label, generously
TREND_RIGHT = 2  # % of the width
TREND_MAX_COLUMN = 12  # % of the width: a single column is not a wall
TREND_COLUMN_SHARE = 0.6  # of a column's slot
TREND_MAX_TICKS = 6
TREND_LABEL_MAX_LINES = 3

_ids = itertools.count(1)


def _next_id() -> str:
    """A prefix for a chart's element ids, unique in the process (so on any page)."""
    return f"rag-chart-{next(_ids)}"


def _num(value: float) -> str:
    """An SVG number: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _items(summary) -> list[dict]:
    """The summary's statuses, normalised, in severity order, with their counts."""
    items = []
    for entry in summary or []:
        status = Status(entry["status"])
        items.append({"status": status, "count": int(entry.get("count") or 0), "percent": entry.get("percent")})
    total = sum(item["count"] for item in items)
    for item in items:
        if item["percent"] is None:
            item["percent"] = round(100 * item["count"] / total) if total else 0
    return sorted(items, key=lambda item: item["status"].value)


def _patterns(prefix: str, statuses) -> list[dict]:
    """<pattern> definitions for the statuses that have one, ids prefixed; ``markup`` is the
    element itself (the same for every chart but its id: built once, not looped in a template)."""
    patterns = []
    for status in statuses:
        if SWATCHES[status].pattern:
            pattern_id = f"{prefix}-{status.slug}"
            patterns.append({"id": pattern_id, "markup": mark_safe(_pattern_markup(status).replace(_ID, pattern_id))})  # noqa: S308  # nosec - constants
    return patterns


_ID = "{id}"


@functools.cache
def _pattern_markup(status: Status) -> str:
    """A status's <pattern> element, drawn in its ink, with _ID for its id (constants only)."""
    swatch = SWATCHES[status]
    shapes = _PATTERN_SHAPES[swatch.pattern]
    lines = "".join(
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{swatch.ink}" stroke-width="1"'
        f' stroke-opacity="{PATTERN_OPACITY}"/>'
        for x1, y1, x2, y2 in shapes["lines"]
    )
    dots = "".join(
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{swatch.ink}" fill-opacity="{PATTERN_OPACITY}"/>'
        for cx, cy, r in shapes["dots"]
    )
    return (
        f'<pattern id="{_ID}" width="{PATTERN_SIZE}" height="{PATTERN_SIZE}" patternUnits="userSpaceOnUse">'
        f"{lines}{dots}</pattern>"
    )


def _paint(prefix: str, status: Status) -> dict:
    """How a segment or legend swatch of this status is painted. ``rects`` and ``swatch_rects``
    are the painted layers as markup (fill, pattern, outline, white gap) for a segment and for
    a legend swatch: the same for every chart but the pattern's id, so built once."""
    swatch = SWATCHES[status]
    pattern_url = f"url(#{prefix}-{status.slug})" if swatch.pattern else ""
    return {
        "status": status,
        "slug": status.slug,
        "fill": swatch.fill,
        "ink": swatch.ink,
        "rects": mark_safe(_rects(status, DASHES).replace(_ID, pattern_url)),  # noqa: S308  # nosec - constants
        "swatch_rects": mark_safe(_rects(status, SWATCH_DASHES).replace(_ID, pattern_url)),  # noqa: S308  # nosec
    }


SWATCH_DASHES = "4 2"  # a legend swatch is small: shorter dashes


@functools.cache
def _rects(status: Status, dashes: str) -> str:
    """The painted layers of a status (constants only), with _ID for its pattern's url."""
    swatch = SWATCHES[status]
    pattern = f'<rect width="100%" height="100%" fill="{_ID}"/>' if swatch.pattern else ""
    dash = f' stroke-dasharray="{dashes}"' if swatch.dashed else ""
    return (
        f'<rect width="100%" height="100%" fill="{swatch.fill}"/>{pattern}'
        f'<rect width="100%" height="100%" fill="none" stroke="{swatch.ink}" stroke-width="{INK_STROKE}"{dash}/>'
        f'<rect width="100%" height="100%" fill="none" stroke="#ffffff" stroke-width="{GAP_STROKE}"/>'
    )


def _legend(prefix: str, items) -> list[dict]:
    return [{**_paint(prefix, item["status"]), "count": item["count"]} for item in items if item["count"]]


def _bar_label(items) -> str:
    return ", ".join(f"{item['status'].label} {item['count']} ({item['percent']}%)" for item in items if item["count"])


@register.simple_tag
def rag_bar(summary, compact=False, caption="", legend=True) -> str:
    """A 100%-stacked bar of a summary. See the module docstring."""
    return _bar_html(_bar(summary, compact, caption, legend))


def _bar(summary, compact=False, caption="", legend=True) -> dict:
    items = _items(summary)
    total = sum(item["count"] for item in items)
    prefix = _next_id()
    height = COMPACT_BAR_HEIGHT if compact else BAR_HEIGHT
    segments = []
    start = 0
    for item in items:
        if not item["count"]:
            continue
        width = 100 * item["count"] / total
        needs = (len(str(item["count"])) * DIGIT_WIDTH + NUMBER_PADDING) * 100 / width  # chart width, px
        from_width = 0 if needs <= MIN_CHART_WIDTH else next((bp for bp in COUNT_BREAKPOINTS if needs <= bp), None)
        segments.append(
            {
                **_paint(prefix, item["status"]),
                "count": item["count"],
                "percent": item["percent"],
                "x": _num(100 * start / total),
                "width": _num(width),
                "show_count": not compact and from_width is not None,
                "count_from": from_width or "",  # 480: shown only in a bar at least 480px wide
            }
        )
        start += item["count"]
    label = _bar_label(items)
    caption = str(caption or "")
    return {
        "id": prefix,
        "total": total,
        "compact": bool(compact),
        "caption": caption,
        "label": f"{caption}: {label}" if caption else label,
        "height": height,
        "font_size": BAR_FONT_SIZE,
        "text_y": _num(height / 2),
        "segments": segments,
        "patterns": _patterns(prefix, [segment["status"] for segment in segments]),
        "legend": _legend(prefix, items) if legend else [],
    }


def _nice_step(maximum: int, max_ticks: int = TREND_MAX_TICKS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100... giving at most max_ticks steps up to maximum."""
    if maximum <= 0:
        return 1
    magnitude = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = factor * magnitude
            if step == int(step) and math.ceil(maximum / step) <= max_ticks:
                return int(step)
        magnitude *= 10


def _wrap(label: str, max_chars: int) -> list[str]:
    """Words of label in lines of at most max_chars (a longer word gets a line of its own)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


@register.simple_tag
def rag_trend(trend, caption="") -> str:
    """A column per date of a trend, stacked by status, and a table of it. See the module docstring."""
    return _trend_html(_trend(trend, caption))


def _trend(trend, caption="") -> dict:
    points = [
        {"date": point.get("date"), "label": str(point["label"]), "items": _items(point["summary"])}
        for point in trend or []
    ]
    prefix = _next_id()
    if not points:
        return {"id": prefix, "points": []}

    totals = [sum(item["count"] for item in point["items"]) for point in points]
    occurring = [
        status for status in Status if any(i["status"] == status and i["count"] for p in points for i in p["items"])
    ]

    # Y axis: count ticks from 0 to a round number at or above the largest total.
    step = _nice_step(max(totals))
    top_tick = step * max(1, math.ceil(max(totals) / step))
    scale = TREND_PLOT_HEIGHT / top_tick
    baseline = TREND_TOP + TREND_PLOT_HEIGHT
    digits = len(str(top_tick))
    left = 100 * (digits * TREND_CHAR_WIDTH + 14) / MIN_CHART_WIDTH
    ticks = [{"value": value, "y": _num(baseline - value * scale)} for value in range(0, top_tick + 1, step)]

    # X axis: a slot per date, the column centred in it.
    n = len(points)
    slot = (100 - left - TREND_RIGHT) / n
    column = min(slot * TREND_COLUMN_SHARE, TREND_MAX_COLUMN)
    slot_px = MIN_CHART_WIDTH * slot / 100
    max_chars = max(1, int(slot_px // TREND_CHAR_WIDTH))
    wrapped = [_wrap(point["label"], max_chars) for point in points]
    upright = all(len(lines) <= TREND_LABEL_MAX_LINES and max(map(len, lines)) <= max_chars for lines in wrapped)
    line_height = TREND_FONT_SIZE + 4
    if upright:
        label_space = 12 + line_height * max(map(len, wrapped))
    else:  # Turned to read upwards, one line each, so that even 12 fit on a phone.
        label_space = 16 + max(len(point["label"]) for point in points) * TREND_CHAR_WIDTH

    columns = []
    for index, (point, total, lines) in enumerate(zip(points, totals, wrapped, strict=True)):
        x = left + slot * index + (slot - column) / 2
        segments = []
        stacked = 0
        for item in point["items"]:
            if not item["count"]:
                continue
            top = baseline - (stacked + item["count"]) * scale
            segments.append(
                {
                    **_paint(prefix, item["status"]),
                    "count": item["count"],
                    "y": _num(top),
                    "height": _num(item["count"] * scale),
                }
            )
            stacked += item["count"]
        columns.append(
            {
                "label": point["label"],
                "lines": [{"text": text, "dy": 0 if i == 0 else line_height} for i, text in enumerate(lines)],
                "total": total,
                "x": _num(x),
                "width": _num(column),
                "centre": _num(x + column / 2),
                "segments": segments,
                "counts": [
                    next((i["count"] for i in point["items"] if i["status"] == status), 0) for status in occurring
                ],
            }
        )

    constant = len(set(totals)) == 1
    subject = f"{totals[0]} recommendation{'s' if totals[0] != 1 else ''}" if constant else "recommendations"
    described = "; ".join(
        f"{point['label']}: "
        + (", ".join(f"{i['status'].label} {i['count']}" for i in point["items"] if i["count"]) or "none")
        for point in points
    )
    label = f"Status of {subject} at {n} assessment date{'s' if n != 1 else ''}: {described}"
    return {
        "id": prefix,
        "points": points,
        "label": label,
        "caption": str(caption or "") or "Number of recommendations by status at each assessment date",
        "height": baseline + label_space,
        "axis_title_y": TREND_TOP - 18,
        "font_size": TREND_FONT_SIZE,
        "plot_left": _num(left),
        "plot_right": _num(100 - TREND_RIGHT),
        "plot_top": TREND_TOP,
        "baseline": baseline,
        "ticks": ticks,
        "upright_labels": upright,
        "label_y": baseline + 8 + TREND_FONT_SIZE,
        "rotated_label_y": baseline + 10,
        "columns": columns,
        "statuses": occurring,
        "patterns": _patterns(prefix, occurring),
        "legend": [_paint(prefix, status) for status in occurring],
    }


# Markup. Built here rather than in templates: the portfolio draws a bar in each of its 25
# rows, and a template per chart cost a fifth of the page (BENCHMARKS.md, fifth round).
# Numbers are printed as computed (SVG coordinates and counts: never localised).


def _bar_html(c: dict) -> str:
    """A bar: a figure holding the SVG (its name in aria-label and <title>; each segment a
    nested <svg> of painted layers and, where it fits, its count) and the legend."""
    if not c["total"]:
        return mark_safe('<p class="tracker-chart__empty">No recommendations</p>')  # noqa: S308  # nosec - a constant
    size = "tracker-chart--compact" if c["compact"] else "tracker-chart--sized"
    label = escape(c["label"])
    parts = [f'<figure class="tracker-chart tracker-chart--bar {size}">']
    if c["caption"] and not c["compact"]:
        parts.append(f'<figcaption class="tracker-chart__caption">{escape(c["caption"])}</figcaption>')
    parts.append(
        f'<svg class="tracker-chart__svg" xmlns="http://www.w3.org/2000/svg" width="100%" height="{c["height"]}"'
        f' role="img" aria-label="{label}" focusable="false"><title>{label}</title>'
        f'<defs>{"".join(p["markup"] for p in c["patterns"])}</defs><g aria-hidden="true">'
    )
    for s in c["segments"]:
        parts.append(
            f'<svg class="tracker-chart__segment tracker-chart__segment--{s["slug"]}" x="{s["x"]}%" y="0"'
            f' width="{s["width"]}%" height="{c["height"]}">{s["rects"]}'
        )
        if s["show_count"]:
            from_width = f" tracker-chart__count--from-{s['count_from']}" if s["count_from"] else ""
            parts.append(
                f'<text class="tracker-chart__count{from_width}" x="50%" y="{c["text_y"]}" dy="0.35em"'
                f' text-anchor="middle" font-size="{c["font_size"]}" font-weight="700" fill="{s["ink"]}"'
                f' stroke="{s["fill"]}" stroke-width="4" stroke-linejoin="round" paint-order="stroke">'
                f"{s['count']:d}</text>"
            )
        parts.append("</svg>")
    parts.append("</g></svg>")
    if c["legend"]:
        parts.append('<ul class="tracker-chart__legend">')
        parts.extend(
            f'<li class="tracker-chart__legend-item">{_swatch(item)}{rag_tag_html(item["status"])}'
            f' <span class="tracker-chart__legend-count">{item["count"]:d}</span></li>'
            for item in c["legend"]
        )
        parts.append("</ul>")
    parts.append("</figure>")
    return mark_safe("\n".join(parts))  # noqa: S308  # nosec - numbers, constants and escaped text


def _swatch(item: dict) -> str:
    return (
        '<svg class="tracker-chart__swatch" xmlns="http://www.w3.org/2000/svg" width="20" height="20"'
        f' aria-hidden="true" focusable="false">{item["swatch_rects"]}</svg>'
    )


def _trend_html(c: dict) -> str:
    """A trend: the legend, the SVG (axis, ticks, a stacked column and a label per date) and
    a table of the same numbers, which takes focus so that a keyboard can scroll it."""
    if not c["points"]:
        return mark_safe('<p class="tracker-chart__empty">No assessments yet.</p>')  # noqa: S308  # nosec - a constant
    label = escape(c["label"])
    font = c["font_size"]
    legend = "".join(
        f'<li class="tracker-chart__legend-item">{_swatch(item)}{rag_tag_html(item["status"])}</li>'
        for item in c["legend"]
    )
    parts = [
        '<figure class="tracker-chart tracker-chart--trend">',
        f'<ul class="tracker-chart__legend">{legend}</ul>',
        f'<svg class="tracker-chart__svg" xmlns="http://www.w3.org/2000/svg" width="100%" height="{c["height"]}"'
        f' role="img" aria-label="{label}" focusable="false"><title>{label}</title>'
        f'<defs>{"".join(p["markup"] for p in c["patterns"])}</defs><g aria-hidden="true">',
        f'<text class="tracker-chart__axis-title" x="0" y="{c["axis_title_y"]}" font-size="{font}"'
        ' fill="#333333">Recommendations</text>',
    ]
    for index, tick in enumerate(c["ticks"]):
        stroke = "#333333" if index == 0 else "#b3b3b3"
        parts.append(
            f'<line class="tracker-chart__grid" x1="{c["plot_left"]}%" x2="{c["plot_right"]}%" y1="{tick["y"]}"'
            f' y2="{tick["y"]}" stroke="{stroke}" stroke-width="1"/>'
            f'<text class="tracker-chart__tick" x="{c["plot_left"]}%" y="{tick["y"]}" dx="-8" dy="0.35em"'
            f' text-anchor="end" font-size="{font}" fill="#333333">{tick["value"]:d}</text>'
        )
    for column in c["columns"]:
        parts.extend(
            f'<svg class="tracker-chart__segment tracker-chart__segment--{s["slug"]}" x="{column["x"]}%"'
            f' y="{s["y"]}" width="{column["width"]}%" height="{s["height"]}">{s["rects"]}</svg>'
            for s in column["segments"]
        )
        if c["upright_labels"]:
            lines = "".join(
                f'<tspan x="{column["centre"]}%" dy="{line["dy"]}">{escape(line["text"])}</tspan>'
                for line in column["lines"]
            )
            parts.append(
                f'<text class="tracker-chart__label" x="{column["centre"]}%" y="{c["label_y"]}"'
                f' text-anchor="middle" font-size="{font}" fill="#333333">{lines}</text>'
            )
        else:
            parts.append(
                f'<svg class="tracker-chart__label-anchor" x="{column["centre"]}%" y="{c["rotated_label_y"]}"'
                ' width="1" height="1" overflow="visible"><text class="tracker-chart__label" transform="rotate(-90)"'
                f' text-anchor="end" dy="0.35em" font-size="{font}" fill="#333333">'
                f"{escape(column['label'])}</text></svg>"
            )
    parts.append("</g></svg></figure>")
    heads = "".join(f'<th scope="col" class="tracker-table__number">{rag_tag_html(s)}</th>' for s in c["statuses"])
    rows = "".join(
        f'<tr><th scope="row">{escape(column["label"])}</th>'
        + "".join(f'<td class="tracker-table__number">{count:d}</td>' for count in column["counts"])
        + f'<td class="tracker-table__number">{column["total"]:d}</td></tr>'
        for column in c["columns"]
    )
    parts.append(
        '<div class="tracker-table-wrapper"><table class="ds_table tracker-table tracker-chart__table"'
        ' data-smallscreen="scrolling" tabindex="0">'
        f'<caption class="ds_!_margin-bottom--2">{escape(c["caption"])}</caption>'
        f'<thead><tr><th scope="col">Date</th>{heads}<th scope="col" class="tracker-table__number">Total</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></div>"
    )
    return mark_safe("\n".join(parts))  # noqa: S308  # nosec - numbers, constants and escaped text
