"""Implementation over time on the portfolio (#20): at each national assessment date, the
share of open recommendations by status and the closed ones by reason; a chart with words
and patterns, and a table of the same numbers; also as at a date."""

import datetime
import re

import pytest

from recommendations.models import Status
from recommendations.services import closure_event_create
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db


def _row(page: str, label: str) -> list[str]:
    """The cells of the implementation table's row for this date, as text."""
    table = page.split('id="implementation"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row for {label}")


def test_the_series_share_of_open_recommendations_at_each_follow_up(auditor_client, seeded):
    page = auditor_client.get("/").content.decode()
    # November 2014: 2006 (21), 2013 (15) and the 2014 summary's own (1) published, 2013's narrative-only.
    # Columns: date, open, Red, Amber, Green, Not rated, Never assessed, then closed by reason.
    assert _row(page, "November 2014") == [
        "November 2014",
        "37",
        "0 (0%)",
        "0 (0%)",
        "0 (0%)",
        "15 (41%)",
        "22 (59%)",
        "0",
        "0",
        "0",
        "0",
    ]
    # July 2018: 50 published, the NCPG's two 2013 recommendations closed (superseded, December 2016).
    assert _row(page, "July 2018") == [
        "July 2018",
        "48",
        "2 (4%)",
        "3 (6%)",
        "5 (10%)",
        "16 (33%)",
        "22 (46%)",
        "0",
        "2",
        "0",
        "0",
    ]
    assert "November 2014: 37 open" in " ".join(page.split())
    # Each bar says what it shows in words, not colour alone.
    assert 'aria-label="November 2014:' in page


def test_as_at_a_date_the_series_stops_there(auditor_client, seeded):
    page = auditor_client.get("/", {"as_at": "2017-01-31"}).content.decode()
    assert "July 2018" not in page.split('id="implementation"', 1)[1].split("</table>", 1)[0]
    # After the guidance (December 2016): the two superseded ones are closed as at the date itself.
    assert _row(page, "31 January 2017")[1] == "48"  # 50 published by then, 2 closed
    assert _row(page, "31 January 2017")[-3] == "2"


def test_closing_one_moves_it_from_the_open_shares_to_the_closed_from_its_date(auditor_client, seeded):
    report = make_report(published=datetime.date(2019, 1, 1))
    recs = [make_recommendation(report, owners=[make_owner()]) for _ in range(4)]
    for rec in recs:
        add_update(rec, rag=Status.GREEN, on=datetime.date(2019, 6, 1))
    for rec in recs:
        add_update(rec, rag=Status.GREEN, on=datetime.date(2020, 6, 1))
    closure_event_create(
        recommendation=recs[0], action="close", reason="implemented", effective_on=datetime.date(2020, 1, 1), note="x"
    )
    page = auditor_client.get("/").content.decode()
    june_2019, june_2020 = _row(page, "1 June 2019"), _row(page, "1 June 2020")
    # Green (with the seed's 5 from July 2018), and closed as implemented.
    assert june_2019[4].split()[0] == "9" and june_2019[-4] == "0"
    assert june_2020[4].split()[0] == "8" and june_2020[-4] == "1"
    assert int(june_2020[1]) == int(june_2019[1]) - 1


def test_the_portfolio_chart_is_kept_and_its_queries_do_not_grow(auditor_client, seeded, django_assert_max_num_queries):
    report = make_report(published=datetime.date(2019, 1, 1))
    for i in range(40):
        rec = make_recommendation(report, owners=[make_owner()])
        add_update(rec, on=datetime.date(2019, 1 + i % 12, 1))
    # With what follow-up publications published (#21) and the follow-up counts and the
    # ratings' definitions of #19 (3).
    with django_assert_max_num_queries(18):
        assert auditor_client.get("/").status_code == 200
    with django_assert_max_num_queries(8):  # kept under the data version
        assert auditor_client.get("/").status_code == 200
