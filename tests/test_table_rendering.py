"""The recommendations table as django-tables2 renders it ({% render_table %} through
templates/django_tables2/sgds_table.html), after recommendations.views.table_page has
sorted and paginated it: what its markup must say to people and to assistive technology."""

import datetime
import re
from html import unescape

import django_tables2 as tables
import pytest
from django.core.exceptions import BadRequest
from django.http import Http404
from django.template import RequestContext, Template
from django.test import RequestFactory

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.models import Owner, Recommendation, Status
from recommendations.tables import EXCERPT, table_page
from tests.factories import add_update, make_owner, make_recommendation, make_report

RENDER = Template("{% load django_tables2 %}{% render_table table %}")
HEADERS = ["Report", "No.", "Recommendation", "Addressed to", "Theme", "Status", "Last assessed", "Updates"]


def _request(user, query: str = ""):
    request = RequestFactory().get(f"/recommendations/?{query}")
    request.user = user
    return request


def _table(user, query: str = ""):
    request = _request(user, query)
    table, export = table_page(
        request, selectors.recommendations_for_table(scope=scope_for(user)), export_stem="recommendations"
    )
    assert export is None
    return request, table


def _render(user, query: str = "") -> str:
    request, table = _table(user, query)
    return RENDER.render(RequestContext(request, {"table": table}))


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr class=\"(?:odd|even)\">(.*?)</tr>", re.sub(r"\s+", " ", html))


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]


@pytest.fixture
def awkward(seeded):
    """Rows that exercise every cell: markup, long text, no theme, never assessed,
    a partial date, names that need escaping, no owners at all."""
    report = make_report("A & B <report>", published=datetime.date(2026, 1, 5))
    owner = make_owner("Smith & Jones <Partners>")
    long_text = "Word " * 80 + "end."
    make_recommendation(report, owners=[owner], text="<p>Make <strong>it</strong> so</p><ul><li>one</li></ul>")
    make_recommendation(report, owners=[owner, Owner.objects.get(slug="cosla")], text=long_text, theme="")
    make_recommendation(report, owners=[], text="Quote \" and ' and <script>alert(1)</script>", theme="X & Y")
    rec = make_recommendation(report, owners=[owner], text="Partial date", theme="Dates")
    add_update(rec, rag=Status.GREEN, on=datetime.date(2026, 2, 1), assessed_precision="month")
    return report


def test_the_library_renders_the_table_in_sgds_markup(awkward, auditor, settings):
    assert settings.DJANGO_TABLES2_TEMPLATE == "django_tables2/sgds_table.html"
    html = _render(auditor, "per_page=100")
    assert '<table class="ds_table tracker-table" id="recommendations-table" data-smallscreen="boxes">' in html
    assert '<caption class="visually-hidden">Recommendations</caption>' in html
    assert html.count('<th class="orderable" scope="col"') == 8
    assert len(_rows(html)) == 54  # the 50 seeded recommendations and the 4 above


def test_each_cell_is_labelled_with_its_column_header(awkward, auditor):
    """On a small screen SGDS lays each row out as a box; each cell shows its label."""
    html = _render(auditor)
    for row in _rows(html):
        assert re.findall(r'<td[^>]* data-label="([^"]*)"', row) == HEADERS


def test_the_link_is_on_the_reference_and_the_text_reads_as_text(awkward, auditor):
    rows = [_cells(row) for row in _rows(_render(auditor, "per_page=100"))]
    first = Recommendation.objects.get(report=awkward, number=1)
    (row,) = [row for row in rows if row[2] == "Make it so one"]  # markup gone, the words kept
    assert row[1] == f'<a href="{first.get_absolute_url()}"><span class="visually-hidden">Recommendation </span>1</a>'
    texts = [row[2] for row in rows]
    assert not any("<a " in text for text in texts)
    cut = [text for text in texts if text.startswith("Word Word")]
    assert len(cut) == 1 and len(unescape(cut[0])) == EXCERPT and cut[0].endswith("…")


def test_free_text_is_escaped(awkward, auditor):
    html = _render(auditor, "sort=-report")
    assert "<script" not in html and "<Partners>" not in html and "<report>" not in html
    assert ">Quote &quot; and &#x27; and</td>" in html  # the script removed when it was saved
    assert ">Smith &amp; Jones &lt;Partners&gt;</a>" in html
    assert ">A &amp; B &lt;report&gt;</a>" in html
    assert ">X &amp; Y</td>" in html


def test_cells_show_owners_status_dates_and_defaults(awkward, auditor):
    rows = [_cells(row) for row in _rows(_render(auditor, "sort=-report"))]
    by_text = {row[2]: row for row in rows}
    partial = by_text["Partial date"]
    assert partial[5] == '<strong class="ds_tag tracker-rag tracker-rag--green ds_tag--green">Green</strong>'
    assert partial[6] == "February 2026" and partial[7] == "1"
    quote = next(row for text, row in by_text.items() if text.startswith("Quote"))
    assert quote[3] == "" and ">Never assessed</strong>" in quote[5] and quote[6] == "—"
    long = next(row for text, row in by_text.items() if text.startswith("Word"))
    assert long[3] == (
        '<a href="/owners/cosla/">COSLA</a>, '
        '<a href="/owners/smith-jones-partners/">Smith &amp; Jones &lt;Partners&gt;</a>'
    )
    assert long[4] == "—"  # no theme


def test_owners_are_fetched_once_a_page_and_nothing_while_rendering(awkward, auditor, django_assert_num_queries):
    """The view fetches the page's rows and their owners; the template then renders them
    without a query, whatever the page size."""
    scope_for(auditor)  # the user's roles, read once
    for per_page in (25, 100):
        with django_assert_num_queries(3):  # the count, the page, its owners
            request, table = _table(auditor, f"per_page={per_page}")
        with django_assert_num_queries(0):
            html = RENDER.render(RequestContext(request, {"table": table}))
        assert len(_rows(html)) == min(per_page, 54)


def test_the_sorted_column_says_so_and_every_header_says_what_its_link_does(awkward, auditor):
    html = _render(auditor, "sort=-status")
    headers = re.findall(r"<th [^>]*>.*?</th>", html, re.S)
    sorted_ = [th for th in headers if "aria-sort" in th]
    assert len(sorted_) == 1
    th = sorted_[0]
    assert 'aria-sort="descending"' in th and 'href="?sort=status"' in th
    assert "Status" in th and '<span class="visually-hidden">, sort ascending</span>' in th
    assert '<span class="tracker-sort-link__indicator" aria-hidden="true">▼</span>' in th
    assert all('<span class="visually-hidden">, sort ascending</span>' in th for th in headers)
    ascending = _render(auditor, "sort=status")
    assert 'aria-sort="ascending"' in ascending and 'href="?sort=-status"' in ascending
    assert '<span class="visually-hidden">, sort descending</span>' in ascending and "▲" in ascending


def test_sort_links_start_again_at_the_first_page_and_page_links_keep_the_sort(awkward, auditor):
    """A new order from page 2 shows the first page of that order, filters kept (escaped);
    the page links keep the order and the filters."""
    html = _render(auditor, "x=a%26b%3C%22&sort=-update_count&page=2")
    assert 'href="?x=a%26b%3C%22&amp;sort=status"' in html
    assert "page=2&amp;sort" not in html
    assert 'href="?x=a%26b%3C%22&amp;sort=-update_count&amp;page=3"' in html
    assert 'href="?x=a%26b%3C%22&amp;sort=-update_count&amp;page=1"' in html


@pytest.mark.parametrize(("per_page", "rows"), [("", 25), ("50", 50), ("100", 54), ("7", 25), ("100000", 25)])
def test_only_the_offered_page_sizes(awkward, auditor, per_page, rows):
    _, table = _table(auditor, f"per_page={per_page}")
    assert len(table.page) == rows


def test_a_page_past_the_end_is_404(awkward, auditor):
    with pytest.raises(Http404):
        _table(auditor, "page=4")


@pytest.mark.parametrize("page", ["0", "x", "1.5", "-1"])
def test_a_page_that_is_not_a_page_number_is_a_bad_request(awkward, auditor, page):
    with pytest.raises(BadRequest):
        _table(auditor, f"page={page}")


def test_a_table_without_rows_shows_its_empty_text(db, auditor):
    request = _request(auditor)
    table, _ = table_page(request, Recommendation.objects.none(), export_stem="x")
    html = RENDER.render(RequestContext(request, {"table": table}))
    assert '<td colspan="8">No recommendations match these filters.</td>' in html
    assert "ds_pagination" not in html


class _Letters(tables.Table):
    """Any table: the SGDS template's pagination does not depend on the recommendations."""

    letter = tables.Column()


def _letters(query: str) -> str:
    request = RequestFactory().get(f"/letters/?{query}")
    table = _Letters([{"letter": chr(65 + i % 26)} for i in range(60)])
    tables.RequestConfig(request, paginate={"per_page": 2}).configure(table)
    return re.sub(r"\s+", " ", RENDER.render(RequestContext(request, {"table": table})))


def test_pagination_is_the_sgds_component(db):
    middle = _letters("page=15&sort=letter")
    assert '<nav class="ds_pagination" aria-label="Pages of this table">' in middle
    assert middle.count("ds_pagination__link--ellipsis") == 2
    assert (
        '<a class="ds_pagination__link ds_current" aria-current="page" href="?page=15&amp;sort=letter">'
        '<span class="visually-hidden">Page </span><span class="ds_pagination__link-label">15</span></a>'
    ) in middle
    assert 'href="?page=14&amp;sort=letter"> <svg' in middle and "Previous<span" in middle
    assert 'href="?page=16&amp;sort=letter"> <span class="ds_pagination__link-label">Next' in middle
    first, last = _letters(""), _letters("page=30")
    assert "Previous<span" not in first and "Next<span" in first
    assert "Next<span" not in last and "Previous<span" in last
    # One page: no pagination at all.
    request = RequestFactory().get("/letters/")
    table = tables.RequestConfig(request, paginate={"per_page": 100}).configure(_Letters([{"letter": "A"}]))
    assert "ds_pagination" not in RENDER.render(RequestContext(request, {"table": table}))
    # A table that says nothing about small screens scrolls on them.
    assert 'data-smallscreen="scrolling"' in first and "data-label" not in first
