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

All geometry is computed here, as plain data (``bar_geometry``,
``trend_geometry``: positions, sizes, colours, pattern ids, labels); the markup
is the templates' (``charts/_rag_bar.html``, ``charts/_rag_trend.html``), which
only loop and print. Horizontal positions are percentages of the chart's width
(so a chart fills its container) and vertical ones pixels, so text and patterns
keep their size and shape however wide the chart is drawn. No JavaScript, no
inline styles: SVG presentation attributes and classes in tracker.css only.

A chart's element ids are derived from what it shows (its kind and accessible
name), made unique within one render, so that the same page renders the same
bytes on every request.
"""

import hashlib
import math
from dataclasses import dataclass

from django import template

from recommendations.models import Status

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
SWATCH_DASHES = "4 2"  # a legend swatch is small: shorter dashes

# In-bar numbers are printed where they fit in the narrowest likely chart (a
# 320px screen less the page's side padding); a number that needs a wider
# chart is shown by a container query in tracker.css once the bar is at least
# that wide (one of COUNT_BREAKPOINTS), and never in a narrower one.
MIN_CHART_WIDTH = 288
COUNT_BREAKPOINTS = (480, 640, 800, 960, 1120)
BAR_HEIGHT = 40
COMPACT_BAR_HEIGHT = 16
BAR_FONT_SIZE = 16
COUNT_HALO = 4  # px of the segment's fill drawn round an in-bar number
SWATCH_SIZE = 20  # px, a legend swatch
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
AXIS_COLOUR = "#333333"  # the axis, its numbers and labels
GRID_COLOUR = "#b3b3b3"


def _chart_id(kind: str, label: str, taken: set | None) -> str:
    """A prefix for a chart's element ids: from its kind and accessible name (so the same chart
    has the same ids on every request), numbered on when the render already has it (the same
    chart twice on a page). ``taken`` is the render's set of ids so far."""
    prefix = f"rag-{kind}-{hashlib.blake2s(label.encode(), digest_size=4).hexdigest()}"
    if taken is None:
        return prefix
    chart_id, n = prefix, 1
    while chart_id in taken:
        n += 1
        chart_id = f"{prefix}-{n}"
    taken.add(chart_id)
    return chart_id


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
    """The <pattern> tiles of the statuses that have one: id, ink and shapes."""
    patterns = []
    for status in statuses:
        swatch = SWATCHES[status]
        if swatch.pattern:
            shapes = _PATTERN_SHAPES[swatch.pattern]
            patterns.append(
                {
                    "id": f"{prefix}-{status.slug}",
                    "ink": swatch.ink,
                    "lines": shapes["lines"],
                    "dots": shapes["dots"],
                }
            )
    return patterns


def _paint(prefix: str, status: Status) -> dict:
    """How a segment or legend swatch of this status is painted: the tag's background, its
    pattern (if it has one), an outline in the tag's ink (dashed for Never assessed), a white gap."""
    swatch = SWATCHES[status]
    return {
        "status": status,
        "slug": status.slug,
        "fill": swatch.fill,
        "ink": swatch.ink,
        "pattern_url": f"url(#{prefix}-{status.slug})" if swatch.pattern else "",
        "dashed": swatch.dashed,
    }


# What every chart's template needs of the constants above.
_STYLE = {
    "pattern_size": PATTERN_SIZE,
    "pattern_opacity": PATTERN_OPACITY,
    "ink_stroke": INK_STROKE,
    "gap_stroke": GAP_STROKE,
    "dashes": DASHES,
    "swatch_dashes": SWATCH_DASHES,
    "swatch_size": SWATCH_SIZE,
    "count_halo": COUNT_HALO,
}


def _legend(prefix: str, items) -> list[dict]:
    return [{**_paint(prefix, item["status"]), "count": item["count"]} for item in items if item["count"]]


def _bar_label(items) -> str:
    return ", ".join(f"{item['status'].label} {item['count']} ({item['percent']}%)" for item in items if item["count"])


def _taken(context) -> set:
    """The chart ids of this render so far (one page, however many templates it includes)."""
    return context.render_context.setdefault("tracker_chart_ids", set())


@register.inclusion_tag("charts/_rag_bar.html", takes_context=True)
def rag_bar(context, summary, compact=False, caption="", legend=True) -> dict:
    """A 100%-stacked bar of a summary. See the module docstring."""
    return bar_geometry(summary, compact, caption, legend, taken=_taken(context))


def bar_geometry(summary, compact=False, caption="", legend=True, *, taken: set | None = None) -> dict:
    """Everything charts/_rag_bar.html prints. ``taken``: ids already used on the page."""
    items = _items(summary)
    total = sum(item["count"] for item in items)
    caption = str(caption or "")
    label = _bar_label(items)
    label = f"{caption}: {label}" if caption else label
    prefix = _chart_id("bar", label, taken) if total else ""
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
    return {
        **_STYLE,
        "id": prefix,
        "total": total,
        "compact": bool(compact),
        "caption": caption,
        "label": label,
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


@register.inclusion_tag("charts/_rag_trend.html", takes_context=True)
def rag_trend(context, trend, caption="") -> dict:
    """A column per date of a trend, stacked by status, and a table of it. See the module docstring."""
    return trend_geometry(trend, caption, taken=_taken(context))


def trend_geometry(trend, caption="", *, taken: set | None = None) -> dict:
    """Everything charts/_rag_trend.html prints. ``taken``: ids already used on the page."""
    points = [
        {"date": point.get("date"), "label": str(point["label"]), "items": _items(point["summary"])}
        for point in trend or []
    ]
    if not points:
        return {"points": []}

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
    ticks = [
        {"value": value, "y": _num(baseline - value * scale), "stroke": AXIS_COLOUR if value == 0 else GRID_COLOUR}
        for value in range(0, top_tick + 1, step)
    ]

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

    constant = len(set(totals)) == 1
    subject = f"{totals[0]} recommendation{'s' if totals[0] != 1 else ''}" if constant else "recommendations"
    described = "; ".join(
        f"{point['label']}: "
        + (", ".join(f"{i['status'].label} {i['count']}" for i in point["items"] if i["count"]) or "none")
        for point in points
    )
    label = f"Status of {subject} at {n} assessment date{'s' if n != 1 else ''}: {described}"
    prefix = _chart_id("trend", label, taken)

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

    return {
        **_STYLE,
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
        "text_colour": AXIS_COLOUR,
        "upright_labels": upright,
        "label_y": baseline + 8 + TREND_FONT_SIZE,
        "rotated_label_y": baseline + 10,
        "columns": columns,
        "statuses": occurring,
        "patterns": _patterns(prefix, occurring),
        "legend": [_paint(prefix, status) for status in occurring],
    }
