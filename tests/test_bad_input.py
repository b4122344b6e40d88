"""Ordinary bad input in the query string (issue #17): a page number, a year, a date or a
choice out of range is the visitor's mistake, never the server's. A malformed value answers
400: a filter or date is shown again in its form with the error next to the field; a page
number that is not a page number is the site's 400 page. A well-formed page past the end is
404, as before. tests/test_fuzz_urls.py searches for the cases these examples do not name."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

R2016 = "/reports/community-planning-update-2016/"
HUGE = str(10**30)


@pytest.fixture
def officer(officer_b):
    client = Client(raise_request_exception=False)
    client.force_login(officer_b)
    return client


def _error_next_to(response, name: str) -> bool:
    return f'id="id_{name}_error"' in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/reports/", "/recommendations/", R2016, "/my/", "/owners/cosla/"])
@pytest.mark.parametrize("page", ["-1", "0", HUGE, "x", "1.5", "\x00"])
def test_a_page_number_that_is_not_one_is_a_400_page(officer, url, page):
    response = officer.get(url, {"page": page})
    assert response.status_code == 400
    assert "problem with your request" in response.content.decode()


@pytest.mark.parametrize("url", ["/reports/", "/recommendations/"])
def test_a_page_past_the_end_is_still_404(officer, url):
    assert officer.get(url, {"page": 999}).status_code == 404


@pytest.mark.parametrize("url", ["/recommendations/", R2016])
@pytest.mark.parametrize("name", ["year_from", "year_to"])
@pytest.mark.parametrize("year", ["0", "-1", "1899", "2101", "99999999", "20160101", HUGE, "1e5", "2016.5"])
def test_a_year_out_of_range_is_an_error_next_to_the_field(officer, url, name, year):
    response = officer.get(url, {name: year})
    assert response.status_code == 400
    assert _error_next_to(response, name)


@pytest.mark.parametrize("year", ["1900", "2016", "2100"])
def test_a_year_in_range_filters(officer, year):
    response = officer.get("/recommendations/", {"year_from": year})
    assert response.status_code == 200 and not _error_next_to(response, "year_from")


@pytest.mark.parametrize("url", ["/", R2016])
@pytest.mark.parametrize("as_at", ["0001-01-01", "1000-01-01", "1899-12-31"])
def test_a_date_before_1900_is_an_error_naming_the_field(officer, url, as_at):
    response = officer.get(url, {"as_at": as_at})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"as_at"}
    assert _error_next_to(response, "as_at")
    assert "Choose 1 January 1900 or a later date" in response.content.decode()


def test_the_portfolio_still_takes_a_date_in_range(officer):
    response = officer.get("/", {"as_at": "1900-01-01"})
    assert response.status_code == 200 and not response.context["form"].errors


@pytest.mark.parametrize(
    "query",
    [
        {"status": "purple"},
        {"owner": "no-such-owner"},
        {"owner_kind": "planet"},
        {"dimension": "\x00"},
        {"report": "no-such-report"},
        {"not_assessed_since": "99999-01-01"},
        {"not_assessed_since": "0001-01-01"},
    ],
)
def test_an_unknown_choice_or_date_is_a_400_with_the_error_shown(officer, query):
    response = officer.get("/recommendations/", query)
    assert response.status_code == 400
    assert _error_next_to(response, next(iter(query)))


@pytest.mark.parametrize(
    "query",
    [
        {"per_page": "-1"},
        {"per_page": HUGE},
        {"sort": "no-such-column"},
        {"sort": "-"},
        {"sort": "a\x00"},
        {"_export": "pdf"},
        {"_export": "csv\x00"},
    ],
)
@pytest.mark.parametrize("url", ["/recommendations/", R2016, "/my/", "/owners/cosla/"])
def test_page_size_sort_and_export_fall_back_to_the_defaults(officer, url, query):
    """Not filters but the table's own controls: an unknown one is ignored, as the page-size
    test in test_recommendation_table.py documents, and the page shows."""
    assert officer.get(url, query).status_code == 200


@pytest.mark.parametrize("months", ["0", "-1", "601", HUGE])
def test_stale_months_out_of_range_is_an_error_next_to_the_field(officer, months):
    response = officer.get(R2016, {"stale_months": months, "as_at": "2017-01-01"})
    assert response.status_code != 500
    assert _error_next_to(response, "stale_months")
