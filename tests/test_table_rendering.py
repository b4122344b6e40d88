"""The table's rows are rendered in one pass (RecommendationTable.body_html) for speed
(BENCHMARKS.md). These tests hold that fast path to django-tables2's own rendering,
cell by cell, through the table's render methods: the HTML people see must not depend
on which path drew it."""

import datetime
import re

import pytest
from django.test import RequestFactory
from django.utils.html import format_html, format_html_join

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.models import Owner, Status
from recommendations.tables import EXCERPT, RecommendationTable
from tests.factories import add_update, make_owner, make_recommendation, make_report


def _library_rows(table) -> str:
    """The rows as django-tables2 renders them: each cell through Table.render_<column>,
    linkify and the column default, in the layout of body_html."""
    return "\n".join(
        format_html(
            '<tr class="{}">{}</tr>',
            "odd" if index % 2 else "even",
            format_html_join("", "<td {}>{}</td>", ((col.attrs["td"].as_html(), cell) for col, cell in row.items())),
        )
        for index, row in enumerate(table.paginated_rows)
    )


def _tables(user, per_page):
    """The same page twice: one for the fast path, one for the library's."""
    tables = []
    for _ in range(2):
        table = RecommendationTable(selectors.recommendations_for_table(scope=scope_for(user)))
        table.paginate(page=1, per_page=per_page)
        tables.append(table)
    return tables


@pytest.fixture
def awkward(seeded):
    """Rows that exercise every cell: markup, long text, no theme, never assessed,
    a partial date, owners whose names need escaping, no owners at all."""
    report = make_report("A & B <report>", published=datetime.date(2026, 1, 5))
    owner = make_owner("Smith & Jones <Partners>")
    long_text = "Word " * 80 + "end."
    make_recommendation(report, owners=[owner], text="<p>Make <strong>it</strong> so</p><ul><li>one</li></ul>")
    make_recommendation(report, owners=[owner, Owner.objects.get(slug="cosla")], text=long_text, theme="")
    make_recommendation(report, owners=[], text="Quote \" and ' and <script>alert(1)</script>", theme="X & Y")
    rec = make_recommendation(report, owners=[owner], text="Partial date", theme="Dates")
    add_update(rec, rag=Status.GREEN, on=datetime.date(2026, 2, 1), assessed_precision="month")
    return report


def test_fast_rows_equal_django_tables2_rows(awkward, auditor):
    fast, library = _tables(auditor, per_page=100)
    html = fast.body_html()
    assert html == _library_rows(library)
    assert html.count("<tr ") == 55  # the 51 seeded recommendations and the 4 above
    assert "<script" not in html and "Quote &quot; and &#x27;" in html
    assert "Smith &amp; Jones &lt;Partners&gt;" in html


def test_long_text_is_cut_with_an_ellipsis(awkward, auditor):
    fast, _ = _tables(auditor, per_page=100)
    cells = re.findall(r'<td class="text"><a href="[^"]+">([^<]*)</a></td>', fast.body_html())
    cut = [c for c in cells if c.startswith("Word Word")]
    assert len(cut) == 1 and len(cut[0]) == EXCERPT and cut[0].endswith("…")


def test_a_table_without_rows_shows_its_empty_text(db, auditor):
    table = RecommendationTable(selectors.recommendations_for_table(scope=scope_for(auditor)).none())
    table.paginate(page=1, per_page=25)
    assert table.body_html() == ""
    assert "No recommendations match these filters." in table.as_html(RequestFactory().get("/"))


# Whitespace is compared the way a browser sees it: runs collapse to one space, and
# space next to a block-level tag (a row, a cell, a list item...) is not rendered.
_BLOCK = r"</?(?:div|table|caption|thead|tbody|tfoot|tr|th|td|nav|ul|li)\b[^>]*>"


def _as_rendered(html) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(rf" ?({_BLOCK}) ?", r"\1", html).replace(" >", ">")


def _whole_tables(user, query: str, *, per_page: int, empty: bool = False):
    """The same table twice, paginated as the view does, with the request it is drawn for."""
    request = RequestFactory().get(f"/recommendations/?{query}")
    tables = []
    for _ in range(2):
        rows = selectors.recommendations_for_table(scope=scope_for(user))
        table = RecommendationTable(rows.none() if empty else rows, order_by=request.GET.get("sort"))
        table.paginate(page=request.GET.get("page", 1), per_page=per_page)
        tables.append(table)
    return request, tables


@pytest.mark.parametrize(
    "query, per_page",
    [
        ("", 100),  # one page: no pagination
        ("", 2),  # the first of 28 pages
        ("page=2", 2),
        ("page=14", 2),  # the middle: ellipses on both sides
        ("page=28", 2),  # the last
        ("sort=status&page=5", 2),
        ("sort=-status", 25),
        ("sort=owners&per_page=2", 25),
        ("sort=-update_count&page=2", 25),
        ("sort=report", 25),
        ("sort=-status_date&status=red&status=amber&x=a%26b%3C%22", 2),  # kept, escaped
    ],
)
def test_fast_table_equals_the_library_template(awkward, auditor, query, per_page):
    request, (fast, library) = _whole_tables(auditor, query, per_page=per_page)
    html = fast.as_html(request)
    assert _as_rendered(html) == _as_rendered(library.library_html(request))
    assert html.count("<th ") == 8


def test_fast_table_without_rows_equals_the_library_template(db, auditor):
    request, (fast, library) = _whole_tables(auditor, "", per_page=25, empty=True)
    html = fast.as_html(request)
    assert _as_rendered(html) == _as_rendered(library.library_html(request))
    assert '<td colspan="8">No recommendations match these filters.</td>' in html


def test_sort_links_start_again_at_the_first_page(awkward, auditor):
    """A new order from page 5 shows the first page of that order, filters kept; the
    page links keep the order."""
    request, (table, _) = _whole_tables(auditor, "status=red&page=5", per_page=2)
    html = table.as_html(request)
    assert 'href="?status=red&amp;sort=status"' in html
    assert "page=5&amp;sort" not in html and 'href="?status=red&amp;page=6"' in html
