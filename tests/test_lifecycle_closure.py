"""Closing and reopening recommendations (#20): append-only events for every addressee or
one, auditors and admins only; open counts, table filters and "as at" respect them."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from recommendations.models import ClosureEvent, Recommendation, Status
from recommendations.services import closure_event_create
from tests.factories import add_update, make_owner, make_recommendation, make_report

pytestmark = pytest.mark.django_db


def _post(client, rec, **fields):
    data = {"closure-owner": "", "closure-reason": "", "closure-effective_on": "2020-01-01", "closure-note": "Seen."}
    data.update({f"closure-{k}": v for k, v in fields.items()})
    return client.post(f"/recommendations/{rec.pk}/closure/", data)


@pytest.fixture
def two_owner_rec(seeded):
    report = make_report(published=datetime.date(2016, 3, 3))
    owners = [make_owner("North Body"), make_owner("South Body")]
    rec = make_recommendation(report, owners=owners)
    add_update(rec, rag=Status.AMBER, on=datetime.date(2018, 7, 1))
    return rec, owners


def _open_and_closed():
    """Counted from the rows, as a user would count the table (the seed closes two)."""
    closed = Recommendation.objects.exclude(closed_reason="").count()
    return Recommendation.objects.count() - closed, closed


def test_an_auditor_closes_for_every_addressee_and_it_leaves_the_open_counts(auditor_client, two_owner_rec):
    rec, _ = two_owner_rec
    open_, closed = _open_and_closed()
    before = auditor_client.get("/").content.decode()
    assert f"<strong>{open_}</strong> open, <strong>{closed}</strong> closed." in before
    response = _post(auditor_client, rec, action="close", reason="implemented", note="All done <b>now</b>")
    assert response.status_code == 302
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert "<strong>Closed: Implemented</strong>" in page
    assert "All done &lt;b&gt;now&lt;/b&gt;" in page  # the why is escaped
    portfolio = auditor_client.get("/").content.decode()
    assert f"<strong>{open_ - 1}</strong> open, <strong>{closed + 1}</strong> closed." in portfolio
    assert "<li>Implemented: <strong>1</strong></li>" in portfolio
    dashboard = auditor_client.get(rec.report.get_absolute_url()).content.decode()
    assert "<strong>0</strong> open, <strong>1</strong> closed." in dashboard


def test_reopening_is_a_new_event_and_history_is_kept(auditor_client, two_owner_rec):
    rec, _ = two_owner_rec
    assert _post(auditor_client, rec, action="close", reason="no_longer_relevant").status_code == 302
    assert _post(auditor_client, rec, action="reopen", note="New evidence.").status_code == 302
    rec.refresh_from_db()
    assert rec.closed_reason == "" and rec.closed_on is None
    assert list(ClosureEvent.objects.filter(recommendation=rec).values_list("action", flat=True)) == [
        "reopen",
        "close",
    ]  # newest first; nothing rewritten
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert "<strong>Open</strong>." in page
    assert "Reopened" in page and "Closed</strong>" not in page.split("Closed and reopened")[0]
    # Reopening what is open is refused, and nothing is written.
    response = _post(auditor_client, rec, action="reopen", note="Again?")
    assert response.status_code == 400
    assert "It is not closed." in response.content.decode()
    assert ClosureEvent.objects.filter(recommendation=rec).count() == 2


def test_closing_for_one_addressee_leaves_it_open_until_every_addressee_is_closed(auditor_client, two_owner_rec):
    rec, (north, south) = two_owner_rec
    assert _post(auditor_client, rec, action="close", reason="implemented", owner=north.pk).status_code == 302
    rec.refresh_from_db()
    assert rec.closed_reason == ""
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert "for some addressees, closed for others" in page
    assert "North Body: closed (Implemented)" in page and "South Body: open" in page
    assert _post(auditor_client, rec, action="close", reason="not_followed_up", owner=south.pk).status_code == 302
    rec.refresh_from_db()
    assert rec.closed_reason == "not_followed_up"  # the latest closure's reason
    # Closing again for one already closed is refused.
    assert _post(auditor_client, rec, action="close", reason="implemented", owner=north.pk).status_code == 400


def test_superseded_needs_what_supersedes_it_and_links_the_chain(auditor_client, seeded):
    rec = Recommendation.objects.get(report__slug="improving-community-planning-2013", number=4)
    later = Recommendation.objects.get(report__slug="community-planning-update-2016", number=2)
    response = _post(auditor_client, rec, action="close", reason="superseded")
    assert response.status_code == 400
    assert "Name the later recommendation or publication that supersedes it." in response.content.decode()
    # Not an earlier one.
    earlier = Recommendation.objects.get(report__slug="community-planning-initial-review-2006", number=1)
    assert _post(auditor_client, rec, action="close", reason="superseded", superseded_by=earlier.pk).status_code == 400
    assert _post(auditor_client, rec, action="close", reason="superseded", superseded_by=later.pk).status_code == 302
    chains = auditor_client.get("/recommendations/repeated/").content.decode()
    assert "Supersedes Improving community planning (2013), recommendation 4" in " ".join(chains.split())


def test_the_table_filters_open_closed_and_by_reason(auditor_client, two_owner_rec):
    rec, _ = two_owner_rec
    closure_event_create(
        recommendation=rec, action="close", reason="implemented", effective_on=datetime.date(2020, 1, 1), note="x"
    )
    url = rec.get_absolute_url()
    assert url not in auditor_client.get("/recommendations/", {"closure": "open", "per_page": 100}).content.decode()
    assert url in auditor_client.get("/recommendations/", {"closure": "closed"}).content.decode()
    assert url in auditor_client.get("/recommendations/", {"closure": "closed-implemented"}).content.decode()
    assert url not in auditor_client.get("/recommendations/", {"closure": "closed-superseded"}).content.decode()
    assert auditor_client.get("/recommendations/", {"closure": "nonsense"}).status_code == 400


def test_as_at_a_date_counts_it_open_before_it_was_closed(auditor_client, two_owner_rec):
    rec, _ = two_owner_rec
    closure_event_create(
        recommendation=rec, action="close", reason="implemented", effective_on=datetime.date(2020, 1, 1), note="x"
    )
    closure_event_create(recommendation=rec, action="reopen", effective_on=datetime.date(2022, 1, 1), note="y")
    open_, closed = _open_and_closed()
    before = auditor_client.get("/", {"as_at": "2019-12-31"}).content.decode()
    during = auditor_client.get("/", {"as_at": "2020-06-01"}).content.decode()
    after = auditor_client.get("/", {"as_at": "2022-06-01"}).content.decode()
    assert f"<strong>{open_}</strong> open, <strong>{closed}</strong> closed as at 31 December 2019" in before
    assert f"<strong>{open_ - 1}</strong> open, <strong>{closed + 1}</strong> closed as at 1 June 2020" in during
    assert f"<strong>{open_}</strong> open, <strong>{closed}</strong> closed as at 1 June 2022" in after
    # Before the seeded closures' date (December 2016), they were open too.
    early = auditor_client.get("/", {"as_at": "2016-06-30"}).content.decode()
    assert "closed as at 30 June 2016" not in early
    dashboard = auditor_client.get(rec.report.get_absolute_url(), {"as_at": "2020-06-01"}).content.decode()
    assert "<strong>0</strong> open, <strong>1</strong> closed as at 1 June 2020" in dashboard


def test_a_closure_cannot_be_back_dated_before_the_last_change_or_its_report(two_owner_rec):
    rec, _ = two_owner_rec
    with pytest.raises(ValidationError):
        closure_event_create(
            recommendation=rec, action="close", reason="implemented", effective_on=datetime.date(2010, 1, 1), note="x"
        )
    closure_event_create(
        recommendation=rec, action="close", reason="implemented", effective_on=datetime.date(2020, 1, 1), note="x"
    )
    with pytest.raises(ValidationError):
        closure_event_create(recommendation=rec, action="reopen", effective_on=datetime.date(2019, 1, 1), note="y")


def test_only_auditors_and_admins_close(client, officer_a, admin_user, two_owner_rec):
    rec, _ = two_owner_rec
    admin_client_ = Client()
    admin_client_.force_login(admin_user)
    assert _post(client, rec, action="close", reason="implemented").status_code == 302  # anonymous: to sign in
    assert not ClosureEvent.objects.filter(recommendation=rec).exists()
    client.force_login(officer_a)
    assert _post(client, rec, action="close", reason="implemented").status_code == 403
    to_all_cpps = Recommendation.objects.filter(owners__slug="community-planning-partnerships").first()
    page = client.get(to_all_cpps.get_absolute_url())
    assert 'id="close-reopen"' not in page.content.decode()
    assert _post(admin_client_, rec, action="close", reason="implemented").status_code == 302
    assert admin_client_.get(f"/recommendations/{rec.pk}/closure/").status_code == 405
    assert _post(admin_client_, Recommendation(pk=999999), action="reopen").status_code == 404


def test_the_recommendation_page_stays_bounded(auditor_client, two_owner_rec, django_assert_max_num_queries):
    rec, (north, south) = two_owner_rec
    for year, owner in ((2020, north), (2022, south)):
        closure_event_create(
            recommendation=rec,
            owner=owner,
            action="close",
            reason="implemented",
            effective_on=datetime.date(year, 1, 1),
            note="x",
        )
        closure_event_create(
            recommendation=rec, owner=owner, action="reopen", effective_on=datetime.date(year + 1, 1, 1), note="x"
        )
    with django_assert_max_num_queries(21):
        assert auditor_client.get(rec.get_absolute_url()).status_code == 200
