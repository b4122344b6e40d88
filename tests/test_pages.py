"""The publication pages, the home page and /healthz, through the client."""

import pytest
from django.urls import reverse

from recommendations.models import Recommendation
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client, seeded):
    for url in ["/", "/reports/", "/reports/community-planning-update-2016/", "/recommendations/1/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_home_lists_every_seeded_publication(auditor_client, seeded):
    response = auditor_client.get("/")
    assert response.status_code == 200
    for title in [
        "Community planning: an initial review",
        "Draft Statement of Ambition",
        "Improving community planning in Scotland",
        "Turning ambition into action",
        "Community planning: an update",
        "Audit Scotland National Report: Community Planning - An Update",
        "Impact report",
    ]:
        assert title in response.content.decode(), title


def test_publication_page_shows_recommendations_and_current_status(auditor_client, seeded):
    response = auditor_client.get("/reports/community-planning-update-2016/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "establish a national forum which has the credibility and authority" in page
    for word in ("Red", "Amber", "Green", "Not rated"):
        assert f">{word}</strong>" in page


def test_recommendation_page_shows_history_newest_first(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=11)
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert page.index("July 2018") < page.index("13 June 2016")
    assert "Paragraphs 5.4 and 5.5" in page


@pytest.mark.parametrize("url", ["/reports/no-such-report/", "/recommendations/999999/"])
def test_unknown_object_is_404(auditor_client, seeded, url):
    assert auditor_client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/", "/reports/", "/reports/community-planning-update-2016/"])
def test_pages_are_read_only(auditor_client, seeded, url):
    assert auditor_client.post(url).status_code == 405


def test_markup_in_free_text_never_runs(auditor_client):
    """Rich text keeps its allowed formatting and loses the rest; plain fields are escaped."""
    rec = make_recommendation(text='<script>alert("x")</script> Fish & <b>chips</b> <em>now</em>', theme="<b>T</b>")
    add_update(rec, summary='<img src=x onerror="alert(1)"> Still <strong>going</strong>')
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "onerror" not in page and "<img src=x" not in page
    assert "<em>now</em>" in page and "<strong>going</strong>" in page
    assert "&lt;b&gt;T&lt;/b&gt;" in page


def _populate(n_reports, recs_per_report):
    owners = [make_owner() for _ in range(3)]
    for _ in range(n_reports):
        report = make_report()
        for _ in range(recs_per_report):
            add_update(make_recommendation(report, owners=owners))
    return report


@pytest.mark.parametrize(("n_reports", "recs"), [(2, 5), (12, 40)])
def test_publication_pages_issue_a_bounded_number_of_queries(
    auditor_client, django_assert_max_num_queries, n_reports, recs
):
    report = _populate(n_reports, recs)
    # session + user, then the page's own queries: the same at both sizes.
    with django_assert_max_num_queries(8):
        assert auditor_client.get("/reports/").status_code == 200
    # The publication page is its dashboard (tests/test_dashboards.py has more sizes). The
    # first view after the data changed builds the filter's choice lists (3 queries) and the
    # dashboard (5; #19 adds the per-addressee ratings, the follow-up counts and the ratings'
    # definitions: 3), and keeps them under the data version; later views use them.
    # Plus 3 for its recommendations' life (#20), and what a follow-up publication published (1).
    with django_assert_max_num_queries(24):
        assert auditor_client.get(report.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(10):
        assert auditor_client.get(report.get_absolute_url()).status_code == 200
    rec = report.recommendations.first()
    for _ in range(5):
        add_update(rec)
    # Includes the auditor's update form (publications and earlier updates to choose from).
    # Plus its life (#20): closures, links, responses, and the closing form's two lists.
    # And each organisation's response and rating, the ratings' definitions (#19: 4 more).
    with django_assert_max_num_queries(20):
        assert auditor_client.get(rec.get_absolute_url()).status_code == 200


def test_publications_come_a_page_at_a_time(auditor_client, seeded):
    """Thousands of publications on one page took seconds (BENCHMARKS.md): 25 a page."""
    for i in range(20):
        make_report(f"Paged report {i:02d}")
    first = auditor_client.get("/reports/").content.decode()
    second = auditor_client.get("/reports/", {"page": 2}).content.decode()
    assert first.count("Paged report") + second.count("Paged report") == 20
    assert "Page 1 of 2" in first and "Page 2 of 2" in second and "?page=2" in first
    assert "recommendations in 27 publications" in auditor_client.get("/").content.decode()
    assert auditor_client.get("/reports/", {"page": 3}).status_code == 404  # past the end
    for page in (0, "x"):  # not a page number at all (tests/test_bad_input.py)
        assert auditor_client.get("/reports/", {"page": page}).status_code == 400


def test_healthz_needs_no_sign_in_and_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert client.post("/healthz").status_code == 405


def test_every_seeded_recommendation_page_opens_including_never_assessed_ones(auditor_client, seeded):
    """Regression: a recommendation with no history at all used to give a 500."""
    never = Recommendation.objects.filter(update_count=0)
    assert never.exists()
    for rec in Recommendation.objects.all():
        response = auditor_client.get(rec.get_absolute_url())
        assert response.status_code == 200, rec
        if rec.update_count == 0:
            assert "Never assessed" in response.content.decode()
