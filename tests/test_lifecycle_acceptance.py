"""Acceptance per addressee (#20): accepted, partly accepted or not accepted, with date and the
management response; recorded by that organisation's officers or by auditors and admins;
append-only; shown beside the recommendation; filtered and counted."""

import pytest
from django.test import Client

from recommendations.models import Acceptance, Owner, Recommendation

pytestmark = pytest.mark.django_db

SHARED = ("improving-community-planning-2013", 12)  # the Scottish Government and COSLA
TO_ALL_CPPS = ("improving-community-planning-2013", 8)


def _rec(slug_number):
    slug, number = slug_number
    return Recommendation.objects.get(report__slug=slug, number=number)


def _respond(client, rec, owner, decision="accepted", on="2013-06-01", text="We accept this."):
    return client.post(
        f"/recommendations/{rec.pk}/acceptance/",
        {
            "acceptance-owner": owner.pk,
            "acceptance-decision": decision,
            "acceptance-responded_on": on,
            "acceptance-text": text,
        },
    )


def test_an_officer_records_their_organisations_response(client, officer_a, org_a, seeded):
    rec = _rec(TO_ALL_CPPS)  # addressed to all CPPs: Inverclyde is an addressee
    client.force_login(officer_a)
    assert _respond(client, rec, org_a, "partly_accepted", text="Partly: <script>x</script>").status_code == 302
    page = " ".join(client.get(rec.get_absolute_url()).content.decode().split())
    assert '<th scope="row">Inverclyde Alliance</th> <td><strong>Partly accepted</strong></td>' in page
    assert "Partly: &lt;script&gt;x&lt;/script&gt;" in page
    assert "Recorded by officer-a" in page


def test_an_officer_cannot_respond_for_another_organisation(client, officer_a, officer_b, org_a, org_b, seeded):
    shared = _rec(SHARED)
    client.force_login(officer_a)
    # Not addressed to Inverclyde: not even found.
    assert _respond(client, shared, org_b).status_code == 404
    client.force_login(officer_b)
    cosla = Owner.objects.get(slug="cosla")
    response = _respond(client, shared, cosla)
    assert response.status_code == 400  # COSLA is not among their organisations
    assert "Select a valid choice" in response.content.decode()
    assert not Acceptance.objects.exists()


def test_each_addressee_answers_for_itself_and_an_officer_sees_only_their_own(auditor_client, officer_b, org_b, seeded):
    shared = _rec(SHARED)
    cosla = Owner.objects.get(slug="cosla")
    assert _respond(auditor_client, shared, org_b, "accepted", text="SG accepts.").status_code == 302
    assert _respond(auditor_client, shared, cosla, "not_accepted", text="COSLA declines.").status_code == 302
    page = auditor_client.get(shared.get_absolute_url()).content.decode()
    assert "SG accepts." in page and "COSLA declines." in page
    client = Client()  # auditor_client is the test's own client
    client.force_login(officer_b)
    theirs = client.get(shared.get_absolute_url()).content.decode()
    assert "SG accepts." in theirs and "COSLA declines." not in theirs
    # The filter: any addressee's current response.
    url = shared.get_absolute_url()
    for decision, shown in (("accepted", True), ("not-accepted", True), ("partly-accepted", False), ("none", False)):
        table = auditor_client.get("/recommendations/", {"acceptance": decision, "per_page": 100}).content.decode()
        assert (url in table) is shown, decision
    # An officer's filter reads their own organisation's response only.
    assert url not in client.get("/recommendations/", {"acceptance": "not-accepted"}).content.decode()
    assert url in client.get("/recommendations/", {"acceptance": "accepted"}).content.decode()


def test_responses_are_append_only_and_the_latest_by_date_is_current(auditor_client, org_b, seeded):
    shared = _rec(SHARED)
    _respond(auditor_client, shared, org_b, "not_accepted", on="2013-06-01", text="First.")
    _respond(auditor_client, shared, org_b, "accepted", on="2014-06-01", text="Second.")
    _respond(auditor_client, shared, org_b, "partly_accepted", on="2013-09-01", text="Back-filled.")
    rows = list(Acceptance.objects.filter(owner=org_b).order_by("responded_on").values_list("text", "is_current"))
    assert rows == [("First.", False), ("Back-filled.", False), ("Second.", True)]
    page = " ".join(auditor_client.get(shared.get_absolute_url()).content.decode().split())
    assert page.count("(earlier response)") == 2
    dashboard = " ".join(auditor_client.get(shared.report.get_absolute_url()).content.decode().split())
    assert "<li>Accepted: <strong>1</strong></li>" in dashboard
    assert "<li>Partly accepted: <strong>0</strong></li>" in dashboard
    assert "<li>Not accepted: <strong>0</strong></li>" in dashboard


def test_the_response_form_is_offered_only_to_who_may_respond(client, officer_a, officer_b, seeded):
    shared = _rec(SHARED)
    client.force_login(officer_b)
    assert 'id="record-acceptance"' in client.get(shared.get_absolute_url()).content.decode()
    to_all = _rec(TO_ALL_CPPS)
    assert 'id="record-acceptance"' not in client.get(to_all.get_absolute_url()).content.decode()  # SG is not a CPP
    client.force_login(officer_a)
    page = client.get(to_all.get_absolute_url()).content.decode()
    assert 'id="record-acceptance"' in page and 'id="close-reopen"' not in page
