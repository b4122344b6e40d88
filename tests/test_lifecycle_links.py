"""Typed links between recommendations (#20): repeats, follows up, supersedes; the chains
page (query count constant in chain length), the table's "repeats" filter, the dashboard's
count, the carry-forward action and the all-or-nothing import."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations.models import RecommendationLink
from recommendations.services import (
    closure_event_create,
    recommendation_link_create,
    recommendations_carry_forward,
)
from tests.factories import add_update, make_owner, make_recommendation, make_report
from tests.importing import LINK_HEADERS, csv_bytes, import_file, page_errors, upload

pytestmark = pytest.mark.django_db


def _chain(length: int, kind="repeats", owners=()):
    """Recommendations in ``length`` successive reports, each linked to the one before."""
    owners = owners or [make_owner()]
    recs = []
    for i in range(length):
        report = make_report(published=datetime.date(2000 + 2 * i, 3, 1))
        recs.append(make_recommendation(report, owners=owners, text=f"Ask number {i}."))
        if i:
            recommendation_link_create(earlier=recs[i - 1], later=recs[i], kind=kind)
    return recs


def _chains_page(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/recommendations/repeated/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split()), len(queries)


def test_the_chains_page_shows_each_link_with_its_status_in_constant_queries(auditor_client, seeded):
    short = _chain(2)
    _, with_short = _chains_page(auditor_client)
    long = _chain(7)
    add_update(long[0], on=datetime.date(2019, 1, 1))
    closure_event_create(
        recommendation=long[0], action="close", reason="implemented", effective_on=datetime.date(2019, 2, 1), note="x"
    )
    page, with_long = _chains_page(auditor_client)
    assert with_long == with_short  # the same however long the chains
    for rec in short + long:
        assert f'href="{rec.get_absolute_url()}"' in page
    assert "Amber</strong> <strong>Closed: Implemented</strong>" in page
    assert f"Repeats {long[0].report.short_title}, recommendation 1" in page
    assert "and 6 linked" in page


def test_the_chains_page_holds_its_query_count(auditor_client, seeded, django_assert_max_num_queries):
    for _ in range(30):
        _chain(4)
    with django_assert_max_num_queries(8):
        assert auditor_client.get("/recommendations/repeated/").status_code == 200
    assert "Page 1 of 2" in auditor_client.get("/recommendations/repeated/").content.decode()
    assert auditor_client.get("/recommendations/repeated/", {"page": 3}).status_code == 404


def test_an_officer_sees_only_links_between_what_they_may_see(client, officer_a, org_a, seeded):
    theirs = _chain(2, owners=[org_a])
    others = _chain(2)
    client.force_login(officer_a)
    page, _ = _chains_page(client)
    assert theirs[1].get_absolute_url() in page
    assert others[1].get_absolute_url() not in page


def test_a_link_goes_from_a_later_publication_to_an_earlier_one(seeded):
    earlier, later = _chain(2)
    for kind in ("repeats", "follows_up", "supersedes"):
        with pytest.raises(ValidationError):
            recommendation_link_create(earlier=later, later=earlier, kind=kind)
        with pytest.raises(ValidationError):
            recommendation_link_create(earlier=earlier, later=earlier, kind=kind)
    same_report = make_recommendation(later.report, owners=[make_owner()])
    with pytest.raises(ValidationError):
        recommendation_link_create(earlier=later, later=same_report, kind="repeats")
    # A second link of the same kind is the first.
    assert recommendation_link_create(earlier=earlier, later=later, kind="repeats").pk == (
        RecommendationLink.objects.get(earlier=earlier, later=later).pk
    )


def test_the_table_filters_those_that_repeat_an_earlier_one(auditor_client, seeded):
    repeated = _chain(2, kind="repeats")
    followed = _chain(2, kind="follows_up")
    page = auditor_client.get("/recommendations/", {"repeats": "on", "per_page": 100}).content.decode()
    assert repeated[1].get_absolute_url() in page
    assert repeated[0].get_absolute_url() not in page  # the earlier one repeats nothing
    assert followed[1].get_absolute_url() not in page  # following up is not repeating


def test_the_dashboard_counts_how_many_repeat_earlier_ones(auditor_client, seeded):
    earlier, later = _chain(2)
    make_recommendation(later.report, owners=[make_owner()])
    page = auditor_client.get(later.report.get_absolute_url()).content.decode()
    assert "<strong>1</strong> of its recommendations repeats an earlier one" in page
    page = auditor_client.get(earlier.report.get_absolute_url()).content.decode()
    assert "None of its recommendations is recorded as repeating an earlier one" in page


def test_carrying_forward_records_a_repeats_link(seeded):
    (earlier,) = _chain(1)
    into = make_report(published=datetime.date(2030, 1, 1))
    (new,) = recommendations_carry_forward(recommendations=[earlier], into=into)
    assert RecommendationLink.objects.filter(earlier=earlier, later=new, kind="repeats").exists()


def test_import_is_all_or_nothing_and_says_which_row_and_why(admin_client_, seeded):
    a, b, c = _chain(3, kind="follows_up")
    ref = lambda rec: f"{rec.report.slug}#{rec.number}"  # noqa: E731
    before = RecommendationLink.objects.count()
    bad = csv_bytes(
        [[ref(b), "repeats", ref(a), "Source X"], [ref(a), "supersedes", ref(c), ""], [ref(c), "echoes", ref(b), ""]],
        headers=LINK_HEADERS,
    )
    preview = upload(admin_client_, bad, model="recommendationlink")
    errors = page_errors(preview)
    assert preview.context.get("confirm_form") is None
    assert "is not from a publication later than" in errors
    assert "'echoes' is not a kind of link" in errors
    assert RecommendationLink.objects.count() == before
    good = [[ref(b), "repeats", ref(a), "Source X"], [ref(c), "supersedes", ref(b), ""]]
    good = csv_bytes(good, headers=LINK_HEADERS)
    assert import_file(admin_client_, good, model="recommendationlink").status_code == 302
    assert RecommendationLink.objects.filter(later=b, earlier=a, kind="repeats", note="Source X").exists()
    assert RecommendationLink.objects.filter(later=c, earlier=b, kind="supersedes").exists()
