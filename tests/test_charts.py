"""The RAG charts ({% load charts %}): what a person sees and what a screen reader reads.

Rendered through django.template with sample data: no database.
"""

import datetime
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.template import Context, Template

from recommendations.models import Status
from recommendations.selectors import status_summary
from recommendations.templatetags.charts import SWATCHES, _nice_step

SVG = "{http://www.w3.org/2000/svg}"
R, A, G, NR, NA = (s.value for s in Status)

# 13 recommendations: Red 2, Amber 3, Green 5, Not rated 3.
SUMMARY_13 = status_summary({R: 2, A: 3, G: 5, NR: 3})
TREND_3 = [
    {"date": datetime.date(2016, 3, 3), "label": "March 2016", "summary": status_summary({NA: 13})},
    {"date": datetime.date(2016, 6, 13), "label": "June 2016", "summary": status_summary({NR: 3, NA: 10})},
    {"date": datetime.date(2018, 7, 1), "label": "July 2018", "summary": SUMMARY_13},
]


def render(source: str, **context) -> str:
    return Template("{% load charts %}" + source).render(Context(context))


def svgs(html: str) -> list[ET.Element]:
    """Each top-level inline <svg> with role="img", parsed."""
    return [ET.fromstring(m) for m in re.findall(r'<svg [^>]*role="img".*?</svg>\s*(?=<ul|</figure>)', html, re.S)]


def segments(svg: ET.Element) -> list[ET.Element]:
    return [el for el in svg.iter(f"{SVG}svg") if "tracker-chart__segment" in el.get("class", "")]


def pct(value: str) -> float:
    assert value.endswith("%"), value
    return float(value[:-1])


def text_of(html: str) -> str:
    """Visible text, roughly: tags out, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def legend(html: str) -> list[str]:
    items = re.findall(r'<li class="tracker-chart__legend-item">(.*?)</li>', html, re.S)
    return [text_of(item) for item in items]


# --- rag_bar ----------------------------------------------------------------------------


def test_bar_names_every_status_with_count_and_percentage():
    html = render("{% rag_bar summary %}", summary=SUMMARY_13)
    (svg,) = svgs(html)
    name = "Red 2 (15%), Amber 3 (23%), Green 5 (38%), Not rated 3 (23%)"
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == name
    assert svg.find(f"{SVG}title").text == name
    assert svg.get("width") == "100%"  # fills its container


def test_bar_caption_is_shown_and_prefixes_the_name():
    caption = "Status of this report's recommendations"
    html = render("{% rag_bar summary caption=caption %}", summary=SUMMARY_13, caption=caption)
    assert (
        '<figcaption class="tracker-chart__caption">Status of this report&#x27;s recommendations</figcaption>' in html
    )
    (svg,) = svgs(html)
    assert svg.get("aria-label").startswith("Status of this report's recommendations: Red 2 (15%)")


def test_bar_legend_shows_tag_words_and_counts_without_empty_statuses():
    html = render("{% rag_bar summary %}", summary=status_summary({R: 1, G: 4, NA: 2}))
    assert legend(html) == ["Red 1", "Green 4", "Never assessed 2"]
    # The words are the RAG tags themselves, so the legend matches the tags elsewhere.
    assert html.count('class="ds_tag tracker-rag') == 3
    assert "Amber" not in html and "Not rated" not in html


def test_bar_segments_are_proportional_and_in_severity_order():
    (svg,) = svgs(render("{% rag_bar summary %}", summary=SUMMARY_13))
    parts = segments(svg)
    assert [p.get("class").rsplit("--", 1)[1] for p in parts] == ["red", "amber", "green", "not-rated"]
    widths = [pct(p.get("width")) for p in parts]
    assert widths == pytest.approx([100 * 2 / 13, 100 * 3 / 13, 100 * 5 / 13, 100 * 3 / 13], abs=0.001)
    starts = [pct(p.get("x")) for p in parts]
    assert starts == pytest.approx([0, 100 * 2 / 13, 100 * 5 / 13, 100 * 10 / 13], abs=0.001)
    assert starts[-1] + widths[-1] == pytest.approx(100, abs=0.001)


def test_bar_segments_use_the_rag_tag_colours_and_a_pattern_or_dashes():
    (svg,) = svgs(render("{% rag_bar summary %}", summary=status_summary({R: 1, A: 1, G: 1, NR: 1, NA: 1})))
    patterns = {p.get("id") for p in svg.iter(f"{SVG}pattern")}
    for part, status in zip(segments(svg), Status, strict=True):
        rects = part.findall(f"{SVG}rect")
        fills = [r.get("fill") for r in rects]
        strokes = [r.get("stroke") for r in rects if r.get("stroke")]
        assert fills[0] == SWATCHES[status].fill
        assert strokes == [SWATCHES[status].ink, "#ffffff"]  # outline in the tag's ink, white gap
        pattern = [f for f in fills if f.startswith("url(#")]
        if status in (Status.GREEN, Status.NEVER_ASSESSED):
            assert not pattern
        else:
            assert pattern and pattern[0][5:-1] in patterns
        if status == Status.NEVER_ASSESSED:
            assert rects[-2].get("stroke-dasharray")
    assert SWATCHES[Status.RED].fill == "#fee6e2" and SWATCHES[Status.AMBER].ink == "#594700"


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_in_bar_numbers_have_at_least_4_5_to_1_contrast_on_their_segment():
    (svg,) = svgs(render("{% rag_bar summary %}", summary=status_summary({R: 1, A: 1, G: 1, NR: 1, NA: 1})))
    texts = list(svg.iter(f"{SVG}text"))
    assert [t.text for t in texts] == ["1"] * 5
    for text in texts:
        # The number is drawn on a halo of the segment's own fill, in the tag's ink.
        assert text.get("paint-order") == "stroke"
        assert _contrast(text.get("fill"), text.get("stroke")) >= 4.5
    for swatch in SWATCHES.values():
        assert _contrast(swatch.ink, swatch.fill) >= 7


def test_in_bar_numbers_only_where_they_fit():
    # 1 of 100 is too narrow even for a wide bar; 20 of 100 fits a phone; 2 of 100 needs a wider bar.
    html = render("{% rag_bar summary %}", summary=status_summary({R: 1, A: 2, G: 20, NR: 77}))
    (svg,) = svgs(html)
    shown = {t.text: t.get("class") for t in svg.iter(f"{SVG}text")}
    assert "1" not in shown
    assert shown["20"] == "tracker-chart__count" and shown["77"] == "tracker-chart__count"
    assert shown["2"].startswith("tracker-chart__count tracker-chart__count--from-")  # shown by a container query
    assert legend(html) == ["Red 1", "Amber 2", "Green 20", "Not rated 77"]  # every count is in the legend


def test_compact_bar_is_thin_without_numbers_and_legend_optional():
    html = render("{% rag_bar summary compact=True %}", summary=SUMMARY_13)
    (svg,) = svgs(html)
    assert int(svg.get("height")) < 20
    assert not list(svg.iter(f"{SVG}text"))
    assert "tracker-chart--compact" in html
    assert legend(html) == ["Red 2", "Amber 3", "Green 5", "Not rated 3"]

    html = render("{% rag_bar summary compact=True legend=False caption=title %}", summary=SUMMARY_13, title="Report")
    assert legend(html) == [] and "tracker-chart__legend" not in html
    assert "<figcaption" not in html  # the row names the report; the caption is in the accessible name
    assert 'aria-label="Report: Red 2 (15%), Amber 3 (23%), Green 5 (38%), Not rated 3 (23%)"' in html


def test_bar_of_all_never_assessed_is_one_full_segment():
    html = render("{% rag_bar summary %}", summary=status_summary({NA: 21}))
    (svg,) = svgs(html)
    assert svg.get("aria-label") == "Never assessed 21 (100%)"
    (part,) = segments(svg)
    assert (part.get("x"), part.get("width")) == ("0%", "100%")
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["21"]
    assert legend(html) == ["Never assessed 21"]


@pytest.mark.parametrize("summary", [status_summary({}), [], None])
def test_bar_with_no_recommendations_says_so(summary):
    html = render("{% rag_bar summary %}", summary=summary)
    assert text_of(html) == "No recommendations"
    assert "<svg" not in html


def test_bar_escapes_its_caption():
    html = render("{% rag_bar summary caption=title %}", summary=SUMMARY_13, title='<script>alert("x")</script>')
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;: Red 2 (15%)" in html
    (svg,) = svgs(html)
    assert svg.get("aria-label").startswith('<script>alert("x")</script>: ')


def test_each_chart_has_its_own_pattern_ids():
    html = render("{% rag_bar summary %}{% rag_bar summary compact=True %}", summary=SUMMARY_13)
    ids = re.findall(r'<pattern id="([^"]+)"', html)
    assert len(ids) == 6 and len(set(ids)) == 6
    for ref in re.findall(r'fill="url\(#([^)]+)\)"', html):
        assert ref in ids


def test_charts_have_no_inline_style_or_script():
    html = render(
        "{% rag_bar summary %}{% rag_bar summary compact=True %}{% rag_trend trend %}",
        summary=SUMMARY_13,
        trend=TREND_3,
    )
    assert "style=" not in html and "<style" not in html and "<script" not in html


# --- rag_trend ----------------------------------------------------------------------------


def trend_table(html: str) -> list[list[str]]:
    table = re.search(r"<table.*?</table>", html, re.S).group(0)
    return [
        [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_trend_names_every_date_and_its_counts():
    html = render("{% rag_trend trend %}", trend=TREND_3)
    (svg,) = [ET.fromstring(m) for m in re.findall(r'<svg [^>]*role="img".*?</svg>(?=\s*</figure>)', html, re.S)]
    name = (
        "Status of 13 recommendations at 3 assessment dates: March 2016: Never assessed 13; "
        "June 2016: Not rated 3, Never assessed 10; July 2018: Red 2, Amber 3, Green 5, Not rated 3"
    )
    assert svg.get("aria-label") == name
    assert svg.find(f"{SVG}title").text == name


def test_trend_table_has_the_same_numbers_for_statuses_that_occur():
    html = render("{% rag_trend trend %}", trend=TREND_3)
    assert re.search(r'</svg>\s*</figure>\s*<div class="tracker-table-wrapper">\s*<table class="ds_table', html)
    assert "<caption" in html
    assert trend_table(html) == [
        ["Date", "Red", "Amber", "Green", "Not rated", "Never assessed", "Total"],
        ["March 2016", "0", "0", "0", "0", "13", "13"],
        ["June 2016", "0", "0", "0", "3", "10", "13"],
        ["July 2018", "2", "3", "5", "3", "0", "13"],
    ]


def test_trend_columns_stack_counts_oldest_first():
    html = render("{% rag_trend trend %}", trend=TREND_3)
    svg = ET.fromstring(re.search(r'<svg [^>]*role="img".*?</svg>\s*(?=</figure>)', html, re.S).group(0))
    parts = segments(svg)
    # One column per date, left to right.
    xs = sorted({pct(p.get("x")) for p in parts})
    assert len(xs) == 3
    heights = {}
    for part in parts:
        column = xs.index(pct(part.get("x")))
        heights.setdefault(column, []).append((part.get("class").rsplit("--", 1)[1], float(part.get("height"))))
    assert [name for name, _ in heights[2]] == ["red", "amber", "green", "not-rated"]  # most severe at the bottom
    unit = heights[0][0][1] / 13
    for counts in heights.values():
        assert sum(h for _, h in counts) == pytest.approx(13 * unit, abs=0.01)
    assert [h / unit for _, h in heights[2]] == pytest.approx([2, 3, 5, 3], abs=0.001)
    # Labels under the columns, counts on the y axis.
    labels = [text_of(ET.tostring(t, encoding="unicode")) for t in svg.iter(f"{SVG}text") if "label" in t.get("class")]
    assert labels == ["March 2016", "June 2016", "July 2018"]
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tracker-chart__tick"]
    assert ticks == ["0", "5", "10", "15"]
    assert [text_of(item) for item in re.findall(r'<li class="tracker-chart__legend-item">(.*?)</li>', html, re.S)] == [
        "Red",
        "Amber",
        "Green",
        "Not rated",
        "Never assessed",
    ]


def test_trend_leaves_out_statuses_that_never_occur():
    trend = [{"date": datetime.date(2020, 1, 1), "label": "2020", "summary": status_summary({R: 1, G: 2})}]
    html = render("{% rag_trend trend %}", trend=trend)
    assert trend_table(html) == [["Date", "Red", "Green", "Total"], ["2020", "1", "2", "3"]]
    assert "Amber" not in html and "Never assessed" not in html
    assert "at 1 assessment date: 2020: Red 1, Green 2" in html


def test_trend_with_many_dates_turns_its_labels():
    trend = [
        {"date": datetime.date(2010 + i, 9, 21), "label": f"21 September {2010 + i}", "summary": SUMMARY_13}
        for i in range(12)
    ]
    html = render("{% rag_trend trend %}", trend=trend)
    assert html.count('transform="rotate(-90)"') == 12
    assert len(trend_table(html)) == 13


def test_trend_escapes_labels():
    trend = [{"date": datetime.date(2020, 1, 1), "label": "<script>alert(1)</script>", "summary": SUMMARY_13}]
    html = render("{% rag_trend trend %}", trend=trend)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # aria-label, title, axis label, table


def test_trend_with_no_dates_says_so():
    for trend in ([], None):
        html = render("{% rag_trend trend %}", trend=trend)
        assert text_of(html) == "No assessments yet."


def test_trend_caption_can_be_given():
    html = render('{% rag_trend trend caption="Status at each assessment" %}', trend=TREND_3)
    assert re.search(r"<caption[^>]*>Status at each assessment</caption>", html)


@pytest.mark.parametrize(("maximum", "step"), [(0, 1), (1, 1), (6, 1), (7, 2), (13, 5), (21, 5), (33, 10), (130, 25)])
def test_y_axis_steps_are_round(maximum, step):
    assert _nice_step(maximum) == step


def test_trend_with_changing_totals_or_none_at_all():
    trend = [
        {"date": datetime.date(2019, 1, 1), "label": "2019", "summary": status_summary({})},
        {"date": datetime.date(2020, 1, 1), "label": "2020", "summary": status_summary({G: 2})},
    ]
    html = render("{% rag_trend trend %}", trend=trend)
    assert "Status of recommendations at 2 assessment dates: 2019: none; 2020: Green 2" in html
    assert trend_table(html) == [["Date", "Green", "Total"], ["2019", "0", "0"], ["2020", "2", "2"]]
    html = render("{% rag_trend trend %}", trend=trend[:1])
    assert "Status of 0 recommendations at 1 assessment date: 2019: none" in html
    assert trend_table(html) == [["Date", "Total"], ["2019", "0"]]


# --- the seed data's pages ---------------------------------------------------------------
#
# What the portfolio and the 2016 dashboard show in their charts and status counts: accessible
# names, captions, legends, every segment's status, place, size and paint, the numbers printed,
# the patterns each chart defines, the trend's axis and table. Recorded in
# tests/snapshots/charts_seed.json from the pages as they were rendered before the charts became
# templates (commit 3489cbd), ids replaced by their order, whitespace collapsed: a change to what
# a person sees or a screen reader reads shows here; a change to markup alone does not.

SEED_PAGES = {"portfolio": "/", "dashboard_2016": "/reports/community-planning-update-2016/"}
SNAPSHOT = Path(__file__).parent / "snapshots" / "charts_seed.json"


def _words(element: ET.Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attrs(element: ET.Element, paint=lambda value: value, leave_out=()) -> str:
    """An element's name and attributes, sorted, as one line: "rect fill=#fff width=100%"."""
    pairs = (f"{k}={paint(v)}" for k, v in sorted(element.attrib.items()) if k not in leave_out)
    return " ".join([_local(element.tag), *pairs])


def _chart_facts(figure: ET.Element) -> dict:
    """What one <figure class="tracker-chart"> shows and says, its ids replaced by their order."""
    (svg,) = [el for el in figure.iter(f"{SVG}svg") if el.get("role") == "img"]
    patterns = list(svg.iter(f"{SVG}pattern"))
    ids = {p.get("id"): f"pattern-{i}" for i, p in enumerate(patterns)}
    assert len(ids) == len(patterns), "pattern ids repeat within a chart"

    def paint(value):
        if value and value.startswith("url(#"):
            assert value[5:-1] in ids, f"{value} names no pattern of this chart"
            return f"url({ids[value[5:-1]]})"
        return value

    def layers(element):
        return [_attrs(rect, paint) for rect in element if _local(rect.tag) == "rect"]

    caption = figure.find("figcaption")
    legend = figure.find("ul")
    return {
        "class": figure.get("class"),
        "caption": _words(caption) if caption is not None else None,
        "name": svg.get("aria-label"),
        "title": _words(svg.find(f"{SVG}title")),
        "focusable": svg.get("focusable"),
        "size": f"{svg.get('width')} x {svg.get('height')}",
        "patterns": [
            [f"{ids[p.get('id')]}: {_attrs(p, leave_out={'id'})}", *(_attrs(shape) for shape in p)] for p in patterns
        ],
        "segments": [
            {
                "class": s.get("class"),
                "box": " ".join(s.get(k) for k in ("x", "y", "width", "height")),
                "layers": layers(s),
                "text": [f"{_attrs(t)}: {_words(t)}" for t in s.iter(f"{SVG}text")],
            }
            for s in svg.iter(f"{SVG}svg")
            if "tracker-chart__segment" in s.get("class", "")
        ],
        "lines": [_attrs(line) for line in svg.iter(f"{SVG}line") if line not in _pattern_parts(svg)],
        "texts": [
            f"{_attrs(t)}: {_words(t)}"
            for t in svg.iter(f"{SVG}text")
            if "tracker-chart__count" not in t.get("class", "")
        ],
        "legend": None
        if legend is None
        else [
            {
                "text": _words(li),
                "tags": [tag.get("class") for tag in li.iter("strong")],
                "swatch": [layers(sw) for sw in li.iter(f"{SVG}svg")],
            }
            for li in legend
        ],
        "text": _words(figure),
    }


def _pattern_parts(svg: ET.Element) -> set:
    return {shape for p in svg.iter(f"{SVG}pattern") for shape in p}


def _page_facts(html: str) -> dict:
    """Every chart, trend table and list of status counts on a page, in page order."""
    figures = re.findall(r'<figure class="tracker-chart.*?</figure>', html, re.S)
    tables = re.findall(r'<table class="ds_table tracker-table tracker-chart__table".*?</table>', html, re.S)
    counts = re.findall(r'<ul class="tracker-status-counts">.*?</ul>', html, re.S)
    return {
        "charts": [_chart_facts(ET.fromstring(f)) for f in figures],
        "trend_tables": [[[_words(cell) for cell in row] for row in ET.fromstring(t).iter("tr")] for t in tables],
        "status_counts": [[_words(li) for li in ET.fromstring(ul)] for ul in counts],
        "empty": [text_of(p) for p in re.findall(r'<p class="tracker-chart__empty">.*?</p>', html, re.S)],
    }


@pytest.fixture
def seed_pages(seeded, auditor_client) -> dict:
    pages = {}
    for name, url in SEED_PAGES.items():
        response = auditor_client.get(url)
        assert response.status_code == 200
        pages[name] = response.content.decode()
    return pages


def test_seed_pages_show_what_they_showed_before(seed_pages):
    facts = {name: _page_facts(html) for name, html in seed_pages.items()}
    expected = json.loads(SNAPSHOT.read_text())
    for name in SEED_PAGES:
        for key in expected[name]:
            assert facts[name][key] == expected[name][key], (name, key)


def test_seed_pages_charts_say_their_counts(seed_pages):
    # Read off the seed documents, not the snapshot: the 2018 impact report's ratings.
    dashboard = _page_facts(seed_pages["dashboard_2016"])
    bar, trend = dashboard["charts"]
    assert bar["caption"] == "Status of this report's recommendations"
    counts = "Red 2 (15%), Amber 3 (23%), Green 5 (38%), Not rated 3 (23%)"
    assert bar["name"] == bar["title"] == f"Status of this report's recommendations: {counts}"
    assert [item["text"] for item in bar["legend"]] == ["Red 2", "Amber 3", "Green 5", "Not rated 3"]
    assert [s["class"].rsplit("--", 1)[1] for s in bar["segments"]] == ["red", "amber", "green", "not-rated"]
    assert len(bar["patterns"]) == 3  # red, amber and not rated; green is plain
    assert trend["name"] == (
        "Status of 13 recommendations at 2 assessment dates: Published 3 March 2016: Never assessed 13; "
        "July 2018: Red 2, Amber 3, Green 5, Not rated 3"
    )
    assert dashboard["trend_tables"][0][-1] == ["July 2018", "2", "3", "5", "3", "0", "13"]
    portfolio = _page_facts(seed_pages["portfolio"])
    assert portfolio["charts"] and all("tracker-chart--compact" in c["class"] for c in portfolio["charts"])
    # The totals and the open ones (#20), then a list beside every chart: each implementation
    # bar (#20) and each publication row.
    assert len(portfolio["status_counts"]) == len(portfolio["charts"]) + 2


# What else differs between two requests for the same page: CSP nonces and CSRF tokens.
_PER_REQUEST = re.compile(r'(nonce|csrfmiddlewaretoken" value|name="csrf-token" content)="[^"]*"')


@pytest.mark.parametrize("url", SEED_PAGES.values())
def test_a_page_renders_its_charts_the_same_every_time(seeded, auditor_client, url):
    """Chart ids come from the render, not from a counter of the process, so the same page is
    the same bytes on every request (what caching a page or a fragment needs)."""
    first, second = (_PER_REQUEST.sub(r'\1=""', auditor_client.get(url).content.decode()) for _ in range(2))
    assert "<pattern id=" in first
    assert first == second
    ids = re.findall(r' id="([^"]+)"', first)
    assert len(ids) == len(set(ids)), "an id is repeated on the page"
