"""/recommendations/: filters, sorting, pagination and exports, through the client."""

import csv
import datetime
import io
import json
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.test import Client, RequestFactory
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from recommendations import selectors
from recommendations.access import EVERYTHING, scope_for
from recommendations.exports import HEADERS, TEXT_COLUMNS, export_rows, neutralise
from recommendations.filters import RecommendationFilter
from recommendations.models import Owner, Recommendation, Status
from recommendations.tables import table_page
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db

URL = "/recommendations/"
R2016 = "community-planning-update-2016"


def shown_count(response) -> int:
    match = re.search(r"(\d+) recommendations?( addressed to [^<]+)?</h2>", response.content.decode())
    assert match, "no result count on the page"
    return int(match.group(1))


def rows_of(response) -> list[str]:
    """The detail links of the table's rows (on each row's reference), in order."""
    page = response.content.decode()
    return re.findall(r'<td class="tracker-table__ref"[^>]*><a href="(/recommendations/\d+/)"', page)


def test_table_lists_every_recommendation(auditor_client, seeded):
    response = auditor_client.get(URL)
    assert response.status_code == 200
    assert shown_count(response) == Recommendation.objects.count() == 50
    assert len(rows_of(response)) == 25  # first page


def test_anonymous_is_sent_to_sign_in_and_post_is_refused(auditor_client, seeded):
    assert Client().get(URL)["Location"].startswith("/accounts/login/")
    assert auditor_client.post(URL).status_code == 405


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"report": R2016}, 13),
        ({"report": [R2016, "improving-community-planning-2013"]}, 28),
        ({"year_from": 2013}, 29),
        ({"year_to": 2012}, 21),
        ({"year_from": 2013, "year_to": 2015}, 16),
        ({"owner": "cosla"}, 7),  # 6 in 2016 + 1 in 2013
        ({"owner": "improvement-service"}, 1),
        ({"owner": "community-planning-partnerships"}, 20),  # 10 + 5 + 3 + 2? no: see below
        ({"owner_kind": "local_government_body"}, 11),  # COSLA (7) + Local authorities (4)
        ({"theme": "Governance and accountability"}, 3),
        ({"status": "red"}, 2),
        ({"status": ["amber", "red"]}, 5),
        ({"status": "not-rated"}, 18),
        ({"status": "never-assessed"}, 22),
        ({"dimension": "value-for-money"}, 6),
        ({"dimension": ["value-for-money", "governance-and-transparency"]}, 10),
        ({"not_assessed_since": "2018-01-01"}, 37),  # 15 (2014) + 22 never assessed
        ({"q": '"test of change"'}, 2),
        ({"q": '"Community Planning Portal Manager"'}, 1),  # found in a progress summary only
        ({"q": "portal showcase practice"}, 1),  # every word must appear: 2016 #3's 2018 assessment
        ({"q": "Inverclyde"}, 1),  # Inverclyde's response on 2016 #11 names it (#19: the paper has no recommendations)
    ],
)
def test_each_filter_alone(auditor_client, seeded, query, expected):
    if query == {"owner": "community-planning-partnerships"}:
        expected = Recommendation.objects.filter(owners__all_cpps=True).count()
    response = auditor_client.get(URL, query)
    assert response.status_code == 200
    assert shown_count(response) == expected


def test_choosing_a_cpp_includes_recommendations_to_all_cpps(auditor_client, seeded):
    to_all = Recommendation.objects.filter(owners__all_cpps=True).count()
    own = Recommendation.objects.filter(owners__slug="inverclyde-alliance").count()
    assert shown_count(auditor_client.get(URL, {"owner": "inverclyde-alliance"})) == to_all + own == to_all
    # A non-CPP owner does not pull in the all-CPPs recommendations.
    assert shown_count(auditor_client.get(URL, {"owner": "cosla"})) == 7


def test_filters_combined(auditor_client, seeded):
    amber_cosla = auditor_client.get(URL, {"owner": "cosla", "status": "amber"})
    assert shown_count(amber_cosla) == 1
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    assert rows_of(amber_cosla) == [rec.get_absolute_url()]
    response = auditor_client.get(
        URL, {"owner": "scottish-government", "status": ["green", "amber"], "dimension": "value-for-money"}
    )
    assert shown_count(response) == 4  # 2016 #2, #3, #8, #9
    response = auditor_client.get(URL, {"year_from": 2016, "q": "communities", "status": "green"})
    assert shown_count(response) >= 1


def test_empty_result_says_so_and_offers_to_clear(auditor_client, seeded):
    page = auditor_client.get(URL, {"owner": "cosla", "status": "never-assessed"}).content.decode()
    assert "0 recommendations" in page
    assert "No recommendations match these filters." in page
    assert 'href="/recommendations/">Clear all filters</a>' in page


def test_invalid_filter_values_are_reported_not_crashed(auditor_client, seeded):
    response = auditor_client.get(URL, {"status": "purple", "year_from": "soon"})
    assert response.status_code == 400  # the visitor's mistake (issue #17), shown in the form
    assert shown_count(response) == 0
    assert "Select a valid choice" in response.content.decode()


def _statuses(response):
    ids = [int(u.strip("/").split("/")[-1]) for u in rows_of(response)]
    by_id = dict(Recommendation.objects.filter(pk__in=ids).values_list("pk", "status"))
    return [by_id[i] for i in ids]


def test_status_sorts_by_severity(auditor_client, seeded):
    ascending = _statuses(auditor_client.get(URL, {"sort": "status", "per_page": 100}))
    assert ascending == sorted(ascending)
    assert ascending[0] == Status.RED and ascending[-1] == Status.NEVER_ASSESSED
    descending = _statuses(auditor_client.get(URL, {"sort": "-status", "per_page": 100}))
    assert descending == sorted(descending, reverse=True)


@pytest.mark.parametrize(
    "column", ["report", "number", "text", "owners", "theme", "status", "status_date", "update_count"]
)
def test_every_column_sorts_both_ways(auditor_client, seeded, column):
    up = rows_of(auditor_client.get(URL, {"sort": column, "per_page": 100}))
    down = rows_of(auditor_client.get(URL, {"sort": f"-{column}", "per_page": 100}))
    assert len(up) == len(down) == 50
    assert up != down


def test_pagination_and_page_size(auditor_client, seeded):
    first = rows_of(auditor_client.get(URL, {"per_page": 25}))
    second = rows_of(auditor_client.get(URL, {"per_page": 25, "page": 2}))
    assert len(first) == 25 and len(second) == 25
    assert len(rows_of(auditor_client.get(URL, {"per_page": 50}))) == 50  # all of them
    assert len(rows_of(auditor_client.get(URL, {"per_page": 7}))) == 25  # not offered: default
    assert auditor_client.get(URL, {"page": 99}).status_code == 404


def test_filter_link_round_trips(auditor_client, seeded):
    query = "owner=cosla&status=amber&status=red&year_from=2013&sort=-status_date"
    page = auditor_client.get(f"{URL}?{query}").content.decode()
    # The form shows the filters applied ...
    assert re.search(r'type="checkbox" name="owner" value="cosla" id="id_owner_\d+_\d+" checked>', page)
    assert re.search(r'value="amber"[^>]*checked', page) and re.search(r'value="red"[^>]*checked', page)
    assert 'name="year_from" value="2013"' in page
    # ... and every sort, page and export link keeps them (only "Clear filters" drops them).
    # (The "selected filters" summary's links each drop one filter: test_the_filters_in_force_each_have_a_removal_link.)
    page = re.sub(r'<div class="ds_facets.*?</dl>', "", page, flags=re.S)
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(\?[^"]*|/recommendations/\?[^"]*)"', page)]
    assert "/recommendations/?sort=-status_date" in links  # Clear filters keeps the sort only
    kept = [link for link in links if link != "/recommendations/?sort=-status_date"]
    assert len(kept) >= 10
    for link in kept:
        assert "owner=cosla" in link and "status=amber" in link and "status=red" in link, link


# --- Exports -------------------------------------------------------------------------


def _export(client, fmt, **query):
    response = client.get(URL, {**query, "_export": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return rows[0], rows[1:]
    if fmt == "json":
        data = json.loads(body)
        return list(data[0].keys()) if data else [], [list(d.values()) for d in data]
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    # Text as a spreadsheet reads it: the file escapes control characters as _xHHHH_.
    rows = [[unescape(v) if isinstance(v, str) else v for v in r] for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
@pytest.mark.parametrize("query", [{}, {"owner": "cosla", "status": "amber"}, {"report": R2016, "sort": "-status"}])
def test_export_has_the_headers_and_exactly_the_filtered_rows(auditor_client, seeded, fmt, query):
    headers, rows = _export(auditor_client, fmt, **query)
    if fmt == "json":
        assert headers == [h.lower().replace(" ", "_") for h in HEADERS]
    else:
        assert headers == HEADERS
    page = auditor_client.get(URL, {**query, "per_page": 100})
    assert len(rows) == shown_count(page)
    # Same order as the table.
    numbers_on_page = [Recommendation.objects.get(pk=int(u.strip("/").split("/")[-1])).number for u in rows_of(page)]
    assert [int(r[2]) for r in rows] == numbers_on_page


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_exported_text_equals_stored_text(auditor_client, seeded, fmt):
    rec = Recommendation.objects.get(report__slug=R2016, number=5)
    assert "‘test of change’" in rec.text
    _, rows = _export(auditor_client, fmt, report=R2016, sort="number")
    assert rows[4][3] == rec.text  # full text, bullets and curly quotes intact, no entities
    assert rows[4][4] == "COSLA; Scottish Government"
    assert rows[4][6] == "Red"
    assert str(rows[4][7]) == "2018-07"  # month precision: no invented day


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_neutralise_formula_cells(auditor_client, fmt):
    report = make_report('=HYPERLINK("http://evil.example")')
    texts = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "It's fine"]
    for text in texts:
        make_recommendation(report, owners=[make_owner("@Evil Org")] if text == "=1+2" else (), text=text)
    _, rows = _export(auditor_client, fmt, report=report.slug, sort="number")
    exported = [r[3] for r in rows]
    assert exported[:6] == ["'" + t for t in texts[:6]]
    assert exported[6] == "It's fine"
    assert rows[0][0].startswith("'=") and rows[0][4] == "'@Evil Org"


def test_csv_built_by_the_database_equals_the_csv_module(auditor_client, auditor, seeded):
    """The CSV's cells are built in SQL for speed (BENCHMARKS.md); byte for byte, the file
    must be what Python's csv module writes for the same rows, formulas neutralised."""
    report = make_report('Quotes "inside" =and= formulas', published=datetime.date(2026, 3, 1))
    odd_owner = make_owner('-Dash "quoted" Partners')
    texts = ['He said "yes",\nthen left', "=1+2", "Ünïcödé — ‘curly’ 🙂", "\rCR first", "Plain", "-minus"]
    themes = ["", "=Theme", "Theme, with comma", 'Theme "q"', "@at", "Ordinary"]
    for number, (text, theme) in enumerate(zip(texts, themes, strict=True), start=1):
        owners = [odd_owner, Owner.objects.get(slug="cosla")] if number % 2 else []
        rec = make_recommendation(report, owners=owners, number=number, text=text, theme=theme)
        if number == 2:
            add_update(rec, rag=Status.GREEN, on=datetime.date(2026, 4, 1), assessed_precision="month")
        if number == 3:
            add_update(rec, rag=Status.RED, on=datetime.date(2026, 5, 1), assessed_precision="year")
    for query in (
        {},
        {"report": report.slug, "sort": "-number"},
        {"q": "curly"},
        {"owner": "cosla", "status": "amber"},
    ):
        response = auditor_client.get(URL, {**query, "_export": "csv"})
        body = b"".join(response.streaming_content).decode("utf-8")
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(HEADERS)
        base = selectors.recommendations_for_table(scope=scope_for(auditor))
        filterset = RecommendationFilter(QueryDict(urlencode(query)), queryset=base, scope=EVERYTHING)
        table, _ = table_page(RequestFactory().get(URL, query), base, export_stem="x", filterset=filterset)
        for row in export_rows(table.data.data):
            writer.writerow([neutralise(v) if i in TEXT_COLUMNS else v for i, v in enumerate(row)])
        assert body == "\ufeff" + buffer.getvalue(), query
        assert body.count("\r\n") >= 2


def test_json_export_carries_values_as_stored(auditor_client):
    rec = make_recommendation(text="=1+2 & <em>allowed markup</em> <b>removed markup</b>")
    rec.refresh_from_db()
    assert rec.text == "=1+2 &amp; <em>allowed markup</em> removed markup"  # sanitised when saved
    _, rows = _export(auditor_client, "json", report=rec.report.slug)
    assert rows[0][3] == rec.text


def test_new_user_filters_cosla_amber_and_opens_the_xlsx(auditor_client, seeded):
    """Seed, open the table, filter to COSLA + Amber, export to XLSX, open it: rows match the page."""
    page = auditor_client.get(URL, {"owner": "cosla", "status": "amber"})
    on_page = [Recommendation.objects.get(pk=int(u.strip("/").split("/")[-1])) for u in rows_of(page)]
    headers, rows = _export(auditor_client, "xlsx", owner="cosla", status="amber")
    assert headers == HEADERS
    assert [(r[0], r[2], r[3], r[6]) for r in rows] == [
        (rec.report.title, rec.number, rec.text, "Amber") for rec in on_page
    ]
    assert len(rows) == 1 and "route map" in rows[0][3]


# --- Detail and owner pages ------------------------------------------------------------


def test_detail_shows_rating_changes_and_related_chain(auditor_client, seeded):
    earlier = Recommendation.objects.get(report__slug="improving-community-planning-2013", number=12)
    later = Recommendation.objects.get(report__slug=R2016, number=3)
    later.carries_forward.add(earlier)
    add_update(later, rag=Status.AMBER, on=datetime.date(2019, 3, 1))
    page = auditor_client.get(later.get_absolute_url()).content.decode()
    assert "Carries forward" in page and earlier.get_absolute_url() in page
    assert re.search(r"Changed:.*Green.*to.*Amber", page, re.S)
    assert "First assessment" in page
    back = auditor_client.get(earlier.get_absolute_url()).content.decode()
    assert "Carried forward by" in back and later.get_absolute_url() in back


def test_owner_pages(auditor_client, seeded):
    listing = auditor_client.get("/owners/").content.decode()
    main = listing[listing.index("<main") : listing.index("</main>")]  # the navigation links to /owners/ too
    assert main.count('href="/owners/') == Owner.objects.count() == 41
    inverclyde = auditor_client.get("/owners/inverclyde-alliance/")
    assert inverclyde.status_code == 200
    assert shown_count(inverclyde) == Recommendation.objects.filter(owners__all_cpps=True).count()
    assert auditor_client.get("/owners/no-such-owner/").status_code == 404
    _, rows = _export(auditor_client, "csv")
    owner_rows = auditor_client.get("/owners/cosla/", {"_export": "csv"})
    assert owner_rows.status_code == 200 and len(rows) == 50


# --- Query counts ------------------------------------------------------------------------


def _bulk(n):
    owners = [make_owner() for _ in range(4)]
    report = make_report()
    for i in range(n):
        rec = make_recommendation(report, owners=owners[: 1 + i % 4], number=i + 1, text=f"Recommendation {i}")
        if i % 3:
            add_update(rec, rag=Status.AMBER)
    return report, owners[0], rec


@pytest.mark.parametrize("n", [10, 500])
def test_query_counts_do_not_grow_with_rows_or_page_size(auditor_client, django_assert_max_num_queries, n):
    report, owner, rec = _bulk(n)
    for _ in range(4):
        add_update(rec)
    with django_assert_max_num_queries(12):
        assert auditor_client.get(URL, {"per_page": 100}).status_code == 200
    with django_assert_max_num_queries(13):
        response = auditor_client.get(URL, {"per_page": 100, "owner": owner.slug, "status": "amber", "sort": "owners"})
        assert response.status_code == 200
    # Plus its life (#20) and the organisations' responses and ratings (#19).
    with django_assert_max_num_queries(19):
        assert auditor_client.get(rec.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(10):
        assert auditor_client.get(owner.get_absolute_url(), {"per_page": 100}).status_code == 200
    with django_assert_max_num_queries(8):
        assert auditor_client.get("/owners/").status_code == 200


def test_with_many_reports_the_report_filter_is_a_title_box(auditor_client, seeded, settings):
    """Thousands of reports do not go into a list on every page: the list keeps the reports
    already chosen (shared links work) and "Report title contains" finds the others."""
    settings.TRACKER_REPORT_CHOICES_MAX = 2  # of the 3 reports with recommendations of their own
    page = auditor_client.get(URL, {"report": R2016}).content.decode()
    assert 'name="report_title"' in page
    assert re.search(f'name="report" value="{R2016}" id="id_report_\\d+" checked>', page)
    assert 'value="community-planning-initial-review-2006"' not in page  # not offered as a choice
    assert shown_count(auditor_client.get(URL, {"report": R2016})) == 13
    by_title = auditor_client.get(URL, {"report_title": "initial review"})
    assert shown_count(by_title) == 21
    unknown = auditor_client.get(URL, {"report": "no-such-report"})
    assert unknown.status_code == 400 and "Select a valid choice" in unknown.content.decode()
    dashboard = auditor_client.get(f"/reports/{R2016}/").content.decode()
    assert 'name="report_title"' not in dashboard


def test_the_filters_in_force_each_have_a_removal_link(auditor_client, seeded):
    """The SGDS "selected filters" summary: each filter in force by its label, a link that drops
    that one value (and the page number, keeping sort and page size), and "Clear all filters"."""
    query = "owner=cosla&status=amber&status=red&not_assessed_since=2018-01-01&q=route&sort=-status_date&page=1&theme="
    page = auditor_client.get(f"{URL}?{query}").content.decode()
    facets = page[page.index('<div class="ds_facets') : page.index("Clear all filters")]
    titles = re.findall(r'<dt class="ds_facet__group-title">([^<]*)</dt>', facets)
    assert titles == ["Search text and progress:", "Addressed to:", "Current status:", "Not assessed since:"]
    labels = re.findall(r'<span class="ds_facet">([^<]*)<a', facets)
    assert labels == ["“route”", "COSLA", "Amber", "Red", "01/01/2018"]
    links = [link.replace("&amp;", "&") for link in re.findall(r'class="ds_facet__button" href="([^"]*)"', facets)]
    assert links[2] == (
        "/recommendations/?owner=cosla&status=red&not_assessed_since=2018-01-01&q=route&sort=-status_date"
    )
    assert links[1] == (
        "/recommendations/?status=amber&status=red&not_assessed_since=2018-01-01&q=route&sort=-status_date"
    )
    assert "1 filter" not in facets and "5 filters applied" in facets
    assert 'href="/recommendations/?sort=-status_date">Clear all filters' in page
    # Removing a filter shows more, never fewer, recommendations.
    assert shown_count(auditor_client.get(links[2])) >= shown_count(auditor_client.get(f"{URL}?{query}"))


def test_no_summary_without_filters_and_values_the_filter_ignores_are_not_listed(auditor_client, seeded):
    assert "ds_facets" not in auditor_client.get(URL).content.decode()
    page = auditor_client.get(URL, {"status": "purple", "sort": "status"}).content.decode()
    assert "ds_facet__group-title" not in page
