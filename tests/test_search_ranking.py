"""Text search in the table: on PostgreSQL the best match first (phrases as phrases), each
page counted by its own query; on SQLite every term matched, in the table's order (#18)."""

import re

import pytest
from django.db import connection

from tests.factories import make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL full-text search")

URL = "/recommendations/"


ROW = re.compile(r'<td class="tracker-table__ref"[^>]*><a href="/recommendations/(\d+)/"')


def rows_of(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def total_of(response) -> str:
    return re.search(r"(\d+) recommendations?</h2>", response.content.decode()).group(1)


@pytest.fixture
def fuel():
    """Recommendations that say "fuel poverty" as a phrase (often or once), both words apart,
    or only one of them; in an order that is not the ranking's (the report's newest first)."""
    owner = make_owner("Ranking owner")
    recs = {}
    for key, text in [
        ("apart", "Fuel costs rose sharply; poverty in rural areas is a separate concern for councils."),
        ("once", "Partners should tackle fuel poverty across every council area and report each year."),
        ("only_poverty", "Councils should measure child poverty and publish the results."),
        ("often", "Fuel poverty: a fuel poverty strategy, fuel poverty targets and fuel poverty advice."),
    ]:
        recs[key] = make_recommendation(make_report(f"Ranking report {key}"), owners=[owner], text=text)
    return recs


@postgresql
def test_a_phrase_matches_as_a_phrase_and_the_best_match_comes_first(auditor_client, fuel):
    response = auditor_client.get(URL, {"q": '"fuel poverty"'})
    assert response.status_code == 200
    assert rows_of(response) == [fuel["often"].pk, fuel["once"].pk]
    assert total_of(response) == "2"

    words = auditor_client.get(URL, {"q": "fuel poverty"})
    assert rows_of(words)[0] == fuel["often"].pk
    assert set(rows_of(words)) == {fuel["often"].pk, fuel["once"].pk, fuel["apart"].pk}
    assert total_of(words) == "3"


@postgresql
def test_a_ranked_search_is_counted_by_its_page_query(auditor_client, django_assert_max_num_queries):
    owner = make_owner("Workforce owner")
    report = make_report("Workforce report")
    for i in range(30):
        make_recommendation(report, owners=[owner], text="Plan the workforce. " + "Train the workforce. " * (i % 4))
    auditor_client.get(URL)  # the filter's choice lists, kept from now on
    # session, user, roles, the page (with its count), its owners
    with django_assert_max_num_queries(5):
        first = auditor_client.get(URL, {"q": "workforce"})
    assert total_of(first) == "30" and len(rows_of(first)) == 25
    second = auditor_client.get(URL, {"q": "workforce", "page": 2})
    assert total_of(second) == "30" and len(rows_of(second)) == 5
    assert not set(rows_of(first)) & set(rows_of(second))
    assert auditor_client.get(URL, {"q": "workforce", "page": 3}).status_code == 404
    nothing = auditor_client.get(URL, {"q": "zymurgy"})
    assert nothing.status_code == 200 and "No recommendations match these filters." in nothing.content.decode()


def test_every_term_must_match_on_either_database(auditor_client, fuel):
    response = auditor_client.get(URL, {"q": "fuel poverty"})
    assert set(rows_of(response)) == {fuel["often"].pk, fuel["once"].pk, fuel["apart"].pk}
    assert auditor_client.get(URL, {"q": "zymurgy"}).status_code == 200
