"""What the cache keeps (tracker.cache): a kept table is keyed by the data version and by
what the viewer may see, so a change shows at once and an officer is never served the
table an auditor saw."""

import re

import pytest

from recommendations.access import scope_for
from recommendations.models import Recommendation, Status
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db

TABLE = "/recommendations/?per_page=100&sort=number"


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens, which are masked afresh on every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def linked_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/recommendations/(\d+)/"', page)}


def test_an_officer_is_never_served_the_table_an_auditor_saw(client, auditor, officer_b, seeded):
    client.force_login(auditor)
    everything = linked_ids(client.get(TABLE).content.decode())
    client.force_login(officer_b)
    theirs = linked_ids(client.get(TABLE).content.decode())
    visible = set(scope_for(officer_b).recommendations(Recommendation.objects.all()).values_list("pk", flat=True))
    assert theirs == visible
    assert theirs < everything


def test_a_recorded_update_shows_in_the_kept_table_at_once(auditor_client, seeded):
    report = make_report("Cached report")
    rec = make_recommendation(report, owners=[make_owner("Cached owner")])
    url = f"/recommendations/?report={report.slug}"

    def status_cell():
        page = auditor_client.get(url).content.decode()
        return re.search(r'data-label="Status"[^>]*>(.*?)</td>', page, re.S).group(1)

    assert "Never assessed" in status_cell()
    assert "Never assessed" in status_cell()  # kept
    add_update(rec, rag=Status.RED)
    assert "Red" in status_cell() and "Never assessed" not in status_cell()


R2016 = "/reports/community-planning-update-2016/"


def test_an_officer_is_never_served_the_dashboard_an_auditor_saw(client, auditor, officer_a, seeded):
    client.force_login(auditor)
    assert "13 recommendations." in client.get(R2016).content.decode()
    client.force_login(officer_a)
    page = client.get(R2016).content.decode()
    assert "The 3 recommendations of this report addressed to Inverclyde Alliance or to all CPPs (of 13)." in page
    assert "13 recommendations." not in page


def test_a_recorded_update_shows_on_the_kept_dashboard_at_once(auditor_client, seeded):
    before = auditor_client.get(R2016).content.decode()
    assert "Red 2 (15%)" in before
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=2)  # Green
    add_update(rec, rag=Status.RED, on=rec.status_date)
    assert "Red 3 (23%)" in auditor_client.get(R2016).content.decode()


def test_the_portfolio_is_kept_per_viewer_and_a_change_shows_at_once(
    client, auditor, officer_a, seeded, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(auditor)
    everything = Recommendation.objects.count()
    first = without_tokens(client.get("/").content.decode())
    assert f"{everything} recommendations in" in first
    # Kept: session, user and roles only; the publications, totals and latest updates are not read.
    with django_assert_num_queries(3):
        assert without_tokens(client.get("/").content.decode()) == first

    client.force_login(officer_a)
    theirs = scope_for(officer_a).recommendations(Recommendation.objects.all()).count()
    assert theirs < everything
    page = client.get("/").content.decode()
    # An officer's totals are theirs, saying whose, never the auditor's kept page.
    assert f"{theirs} recommendations addressed to" in page and f"(of {everything} in all)" in page
    assert f"{everything} recommendations in" not in page

    client.force_login(auditor)
    report = make_report("Kept portfolio report")
    make_recommendation(report, owners=[make_owner("Kept portfolio owner")])
    page = client.get("/").content.decode()
    assert f"{everything + 1} recommendations in" in page
    assert "Kept portfolio report" in page


def test_the_publication_list_is_kept_per_viewer(client, auditor, officer_a, seeded, django_assert_num_queries):
    client.force_login(auditor)
    first = without_tokens(client.get("/reports/").content.decode())
    with django_assert_num_queries(3):
        assert without_tokens(client.get("/reports/").content.decode()) == first
    client.force_login(officer_a)
    page = without_tokens(client.get("/reports/").content.decode())
    assert page != first  # an officer's counts are of what is addressed to them


def test_a_repeat_view_of_the_table_counts_and_reads_no_rows(
    auditor_client, seeded, django_assert_max_num_queries, django_assert_num_queries
):
    url = "/recommendations/?sort=status&per_page=50"
    first = without_tokens(auditor_client.get(url).content.decode())
    assert "recommendations</h2>" in first and linked_ids(first)
    # session, user, roles: not the count, the page or its owners (nor the filter's lists)
    with django_assert_num_queries(3):
        again = without_tokens(auditor_client.get(url).content.decode())
    assert again == first
    # Another page of the same table is counted and read.
    with django_assert_max_num_queries(12):
        other = auditor_client.get("/recommendations/?sort=status&per_page=25")
    assert len(linked_ids(other.content.decode())) == 25
    assert auditor_client.get("/recommendations/?page=999").status_code == 404
