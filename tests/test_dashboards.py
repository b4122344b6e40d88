"""Per-report dashboards, the portfolio and the appendix: numbers counted by hand."""

import csv
import datetime
import io
import re

import pytest

from recommendations import selectors
from recommendations.access import EVERYTHING
from recommendations.models import Status
from reports.models import Report
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"


def counts(summary) -> dict:
    return {item["status"]: item["count"] for item in summary if item["count"]}


def dashboard(slug=R2016, **kwargs):
    return selectors.report_dashboard(Report.objects.get(slug=slug), scope=EVERYTHING, **kwargs)


# --- The seeded 2016 report, against the 2018 impact report's ratings ------------------


def test_2016_current_distribution_matches_the_impact_report(seeded):
    d = dashboard()
    # 2018 appendix: Green for #2, #3, #4, #7, #9; Amber for #1 (impact-assessment part),
    # #8, #10; Red for #5 and #6 (one grouped row); CPP rows #11-#13 narrative only.
    assert counts(d.summary) == {Status.RED: 2, Status.AMBER: 3, Status.GREEN: 5, Status.NOT_RATED: 3}
    assert {i["status"]: i["percent"] for i in d.summary} == {
        Status.RED: 15,
        Status.AMBER: 23,
        Status.GREEN: 38,
        Status.NOT_RATED: 23,
        Status.NEVER_ASSESSED: 0,
    }


@pytest.mark.parametrize(
    ("as_at", "expected"),
    [
        (datetime.date(2016, 5, 1), {Status.NEVER_ASSESSED: 13}),
        # Inverclyde Alliance's board paper of 13 June 2016 is its local response: no one's status.
        (datetime.date(2016, 6, 13), {Status.NEVER_ASSESSED: 13}),
        (datetime.date(2018, 6, 30), {Status.NEVER_ASSESSED: 13}),
        (datetime.date(2018, 7, 31), {Status.RED: 2, Status.AMBER: 3, Status.GREEN: 5, Status.NOT_RATED: 3}),
    ],
)
def test_2016_as_at_dates(seeded, as_at, expected):
    assert counts(dashboard(as_at=as_at).summary) == expected


def test_2016_movement_trend_and_breakdowns(seeded):
    d = dashboard()
    # One national assessment date (the 2018 impact report): Inverclyde's local response of
    # 13 June 2016 is neither a trend point nor one end of a movement.
    assert d.movement is None
    assert [point["label"] for point in d.trend] == ["Published 3 March 2016", "July 2018"]
    assert [counts(point["summary"]) for point in d.trend] == [
        {Status.NEVER_ASSESSED: 13},
        {Status.RED: 2, Status.AMBER: 3, Status.GREEN: 5, Status.NOT_RATED: 3},
    ]
    by_owner = {row["group"].name: (row["total"], counts(row["summary"])) for row in d.by_owner}
    assert by_owner == {
        "Scottish Government": (10, {Status.RED: 2, Status.AMBER: 3, Status.GREEN: 5}),
        "COSLA": (6, {Status.RED: 2, Status.AMBER: 1, Status.GREEN: 3}),
        "Community Planning Partnerships": (3, {Status.NOT_RATED: 3}),
    }


def test_stale_recommendations_follow_the_period_and_the_date(seeded):
    assert len(dashboard().stale) == 13  # nothing assessed since July 2018
    assert dashboard(as_at=datetime.date(2018, 8, 1)).stale == []
    stale = dashboard(as_at=datetime.date(2018, 6, 30), stale_months=12).stale
    assert len(stale) == 13  # none assessed nationally by then


def test_dashboard_page_shows_the_numbers(auditor_client, seeded):
    page = auditor_client.get(f"/reports/{R2016}/").content.decode()
    assert "Current status" in page
    assert "Red 2 (15%), Amber 3 (23%), Green 5 (38%), Not rated 3 (23%)" in page  # the chart's accessible name
    assert "Fewer than two assessment dates: nothing to compare yet." in page
    movement_and_trend = page.split('id="movement"')[1].split('id="by-organisation"')[0]
    assert "13 June 2016" not in movement_and_trend and "July 2018" in movement_and_trend
    assert "Printable progress appendix" in page
    # The shared table with its exports, limited to this report.
    assert "13 recommendations</h2>" in page
    assert f"/reports/{R2016}/?_export=csv" in page


def test_dashboard_page_as_at_a_date(auditor_client, seeded):
    page = auditor_client.get(f"/reports/{R2016}/", {"as_at": "2016-07-01"}).content.decode()
    assert "as it stood on <strong>1 July 2016</strong>" in page
    assert "Status as at 1 July 2016" in page
    assert "Never assessed 13 (100%)" in page


def test_dashboard_rejects_a_malformed_date(auditor_client, seeded):
    response = auditor_client.get(f"/reports/{R2016}/", {"as_at": "yesterday", "stale_months": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a date in the format dd/mm/yyyy" in page and "Current status" in page


def test_dashboard_export_is_limited_to_the_report(auditor_client, seeded):
    response = auditor_client.get(f"/reports/{R2016}/", {"_export": "csv", "status": "red"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3 and {row[0] for row in rows[1:]} == {"Community planning: an update"}


# --- Synthetic data ----------------------------------------------------------------------


@pytest.fixture
def synthetic():
    report = make_report(published=datetime.date(2017, 1, 1))
    owner = make_owner()
    recs = [make_recommendation(report, owners=[owner], theme=["A", "A", "B", ""][i]) for i in range(4)]
    d1, d2 = datetime.date(2017, 6, 1), datetime.date(2018, 6, 1)
    add_update(recs[0], rag=Status.RED, on=d1)
    add_update(recs[0], rag=Status.GREEN, on=d2)
    add_update(recs[1], rag=Status.AMBER, on=d1)
    add_update(recs[1], rag=Status.RED, on=d2)
    add_update(recs[2], rag=Status.GREEN, on=d1)
    return report, recs


def test_synthetic_movement_trend_and_themes(synthetic):
    report, recs = synthetic
    d = selectors.report_dashboard(report, scope=EVERYTHING)
    assert (d.movement.up, d.movement.down, d.movement.same, d.movement.newly_rated) == (1, 1, 2, 0)
    assert [counts(p["summary"]) for p in d.trend] == [
        {Status.NEVER_ASSESSED: 4},
        {Status.RED: 1, Status.AMBER: 1, Status.GREEN: 1, Status.NEVER_ASSESSED: 1},
        {Status.RED: 1, Status.GREEN: 2, Status.NEVER_ASSESSED: 1},
    ]
    themes = {row["group"]: row["total"] for row in d.by_theme}
    assert themes == {"A": 2, "B": 1, "No theme given": 1}


def test_as_at_before_and_after_a_new_update(synthetic):
    report, recs = synthetic
    before = selectors.report_dashboard(report, scope=EVERYTHING, as_at=datetime.date(2019, 1, 1))
    add_update(recs[3], rag=Status.AMBER, on=datetime.date(2019, 2, 1))
    still_before = selectors.report_dashboard(report, scope=EVERYTHING, as_at=datetime.date(2019, 1, 1))
    after = selectors.report_dashboard(report, scope=EVERYTHING, as_at=datetime.date(2019, 2, 1))
    assert (
        counts(before.summary)
        == counts(still_before.summary)
        == {
            Status.RED: 1,
            Status.GREEN: 2,
            Status.NEVER_ASSESSED: 1,
        }
    )
    assert counts(after.summary) == {Status.RED: 1, Status.AMBER: 1, Status.GREEN: 2}
    assert (after.movement.newly_rated, after.movement.same) == (1, 3)


def test_out_of_order_backfill_changes_the_past_not_the_present(synthetic):
    report, recs = synthetic
    add_update(recs[2], rag=Status.RED, on=datetime.date(2017, 3, 1))  # older than its Green
    d = selectors.report_dashboard(report, scope=EVERYTHING)
    assert counts(d.summary)[Status.GREEN] == 2
    early = selectors.report_dashboard(report, scope=EVERYTHING, as_at=datetime.date(2017, 4, 1))
    assert counts(early.summary) == {Status.RED: 1, Status.NEVER_ASSESSED: 3}


def _grow(report, n):
    owners = [make_owner() for _ in range(3)]
    for i in range(n):
        rec = make_recommendation(report, owners=owners[: 1 + i % 3], theme=f"Theme {i % 5}")
        for day in range(1 + i % 3):
            add_update(
                rec, rag=[Status.RED, Status.AMBER, Status.GREEN][(i + day) % 3], on=datetime.date(2018, 1, 1 + day)
            )


@pytest.mark.parametrize("n", [5, 120])
def test_dashboard_queries_do_not_grow(auditor_client, django_assert_max_num_queries, n):
    report = make_report(published=datetime.date(2017, 1, 1))
    _grow(report, n)
    # Each with 3 for the recommendations' life (#20), and as at a date 2 more (closures by then);
    # today's with the follow-up counts of #19 (1).
    with django_assert_max_num_queries(24):
        assert auditor_client.get(report.get_absolute_url(), {"per_page": 100}).status_code == 200
    with django_assert_max_num_queries(19):
        assert auditor_client.get(report.get_absolute_url(), {"as_at": "2018-01-02"}).status_code == 200
    with django_assert_max_num_queries(9):
        assert auditor_client.get(f"{report.get_absolute_url()}appendix/").status_code == 200
    # 8: the publications that make no recommendations say what they published (1).
    # Plus open and closed (1) and, until it is kept, implementation over time (#20: the dates,
    # the closures with their addressees, ratings and reports, the counts on every date in 2).
    with django_assert_max_num_queries(17):
        assert auditor_client.get("/").status_code == 200
    with django_assert_max_num_queries(8):  # with the follow-up counts (#19)
        assert auditor_client.get("/").status_code == 200
    with django_assert_max_num_queries(6):
        assert auditor_client.get("/reports/").status_code == 200


# --- Portfolio and appendix ----------------------------------------------------------


def test_portfolio_has_totals_distributions_and_recent_updates(auditor_client, seeded):
    page = auditor_client.get("/").content.decode()
    assert "50 recommendations in 7 publications" in page
    assert "Most recent updates" in page
    assert page.count('role="img"') >= 4  # a distribution bar per report with recommendations


def test_appendix_groups_and_rates_in_words(auditor_client, seeded):
    rows = selectors.report_appendix(Report.objects.get(slug=R2016), scope=EVERYTHING)
    assert [[r.number for r in row.recommendations] for row in rows] == [
        [1], [2], [3], [4], [5, 6], [7], [8], [9], [10], [11, 12, 13]
    ]  # fmt: skip
    assert [u.rag_label for u in rows[0].current] == ["Green", "Amber"]  # route map; impact assessment
    page = auditor_client.get(f"/reports/{R2016}/appendix/").content.decode()
    for word in ("Red", "Amber", "Green", "Not rated"):
        assert re.search(rf"Current rating: <strong[^>]*>{word}</strong>", page), word
    assert "How the impact of these changes will be assessed: <strong>Amber</strong>" in page
    never = auditor_client.get("/reports/community-planning-initial-review-2006/appendix/").content.decode()
    assert len(re.findall(r"Current rating: <strong[^>]*>Never assessed</strong>", never)) == 21
