"""Roles: what officers see (only their organisations'), and the auditor's update form."""

import csv
import datetime
import html
import io
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from openpyxl import load_workbook

from recommendations.models import Owner, ProgressUpdate, Recommendation, Status
from reports.models import Report
from tests.conftest import _make_user
from tests.factories import add_update
from tracker.roles import OFFICER

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visible_to_inverclyde():
    return Recommendation.objects.filter(owners__slug__in=["inverclyde-alliance", "community-planning-partnerships"])


def visible_to_scotgov():
    return Recommendation.objects.filter(owners__slug="scottish-government")


def _csv_titles_numbers(response):
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return {(r[0], int(r[2])) for r in rows[1:]}


def _expected(queryset):
    return {(r.report.title, r.number) for r in queryset.select_related("report").distinct()}


@pytest.mark.parametrize(
    ("persona", "visible"), [("officer_a", visible_to_inverclyde), ("officer_b", visible_to_scotgov)]
)
def test_officer_table_and_exports_hold_only_their_recommendations(request, persona, visible):
    client = client_for(request.getfixturevalue(persona))
    expected = _expected(visible())
    assert 0 < len(expected) < Recommendation.objects.count()
    page = client.get("/recommendations/", {"per_page": 100}).content.decode()
    assert re.search(rf">{len(expected)} recommendations addressed to [^<]+</h2>", page)
    assert _csv_titles_numbers(client.get("/recommendations/", {"_export": "csv"})) == expected
    data = json.loads(b"".join(client.get("/recommendations/", {"_export": "json"}).streaming_content))
    assert {(d["report"], d["number"]) for d in data} == expected
    xlsx = client.get("/recommendations/", {"_export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.getvalue()), read_only=True).active.iter_rows(values_only=True))
    assert {(r[0], r[2]) for r in rows[1:]} == expected
    # The owner pages and their exports are limited the same way.
    cosla = client.get("/owners/cosla/", {"_export": "csv"})
    assert _csv_titles_numbers(cosla) <= expected


def test_officer_dashboard_counts_are_their_own(officer_b, officer_a):
    page = client_for(officer_b).get(f"/reports/{R2016}/").content.decode()
    assert "Red 2 (20%), Amber 3 (30%), Green 5 (50%)" in page  # SG: recommendations 1-10
    assert "10 recommendations addressed to Scottish Government</h2>" in page
    assert "The 10 recommendations of this report addressed to Scottish Government (of 13)." in page
    page = client_for(officer_a).get(f"/reports/{R2016}/").content.decode()
    assert "Not rated 3 (100%)" in page  # the three addressed to CPPs
    portfolio = client_for(officer_a).get("/").content.decode()
    assert f"{visible_to_inverclyde().count()} recommendations addressed to Inverclyde Alliance" in portfolio


def test_another_organisations_recommendation_is_404(officer_a, officer_b):
    sg_only = Recommendation.objects.get(report__slug=R2016, number=8)
    cpp_only = Recommendation.objects.get(report__slug=R2016, number=11)
    assert client_for(officer_a).get(sg_only.get_absolute_url()).status_code == 404
    assert client_for(officer_b).get(cpp_only.get_absolute_url()).status_code == 404
    assert client_for(officer_a).get(cpp_only.get_absolute_url()).status_code == 200


def test_local_responses_concerning_another_organisation_are_never_shown(officer_a, django_user_model):
    fife = Owner.objects.get(council_area="Fife")
    fife_officer = _make_user(django_user_model, "officer-fife", OFFICER, [fife])
    rec = Recommendation.objects.get(report__slug=R2016, number=11)
    marker = "Improvement Plan already has an improvement action"
    assert marker in client_for(officer_a).get(rec.get_absolute_url()).content.decode()
    fife_page = client_for(fife_officer).get(rec.get_absolute_url()).content.decode()
    assert "Although we have not done any further local audit work" in fife_page  # the national assessment
    assert marker not in fife_page
    assert "Inverclyde" not in client_for(fife_officer).get("/").content.decode().split("Most recent updates")[1]


def test_officer_never_sees_the_form_and_cannot_post(officer_a):
    rec = Recommendation.objects.get(report__slug=R2016, number=11)
    client = client_for(officer_a)
    assert "Record a progress update" not in client.get(rec.get_absolute_url()).content.decode()
    response = client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec))
    assert response.status_code == 403
    assert rec.updates.count() == 1  # the 2018 narrative (Inverclyde's paper is its response since #19)


def test_user_without_a_role_sees_only_a_page_saying_so(django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x-very-long-password")
    client = client_for(user)
    for url in ["/", "/recommendations/", f"/reports/{R2016}/", "/owners/", "/my/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to the tracker yet" in response.content.decode()
    assert client.get("/accounts/password_change/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_my_recommendations(officer_a, auditor):
    page = client_for(officer_a).get("/my/", {"per_page": 100}).content.decode()
    assert (
        f"{visible_to_inverclyde().count()} recommendations addressed to Inverclyde Alliance or to all CPPs</h2>"
        in page
    )
    assert "including those addressed to all Community Planning Partnerships" in page
    assert "not linked to an organisation" in client_for(auditor).get("/my/").content.decode()


# --- The auditor's update ---------------------------------------------------------------


def _valid_post(rec, **changes):
    latest = rec.updates.order_by("-pk").first()
    data = {
        "rag": str(Status.GREEN.value),
        "assessed_on": datetime.date.today().isoformat(),
        "summary": "The route map was published with milestones.",
        "evidence": "Paragraph 12, page 4; Page 9",
        "published_in": "",
        "corrects": "",
        "seen_latest": str(latest.pk if latest else 0),
    }
    data.update(changes)
    return data


def test_source_publication_offers_reports_from_the_recommendations_own_on(auditor_client):
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    select = re.search(r'<select name="published_in"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)
    published = rec.report.published
    reports = list(Report.objects.filter(published__gte=published).order_by("-published", "title"))
    assert Report.objects.filter(published__lt=published).exists()  # earlier reports are not offered
    assert [(int(v), html.unescape(label)) for v, _, label in options[1:]] == [(r.pk, str(r)) for r in reports]
    assert options[0][::2] == ("", "None")
    source = Report.objects.get(slug__contains="2018")
    auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec, published_in=str(source.pk)))
    assert rec.updates.order_by("-pk").first().published_in == source
    earlier = Report.objects.filter(published__lt=published).first()
    response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec, published_in=earlier.pk))
    assert "Select a valid choice" in response.content.decode()


def test_auditor_records_an_update(auditor_client, auditor):
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    assert rec.status == Status.AMBER
    page = auditor_client.get(rec.get_absolute_url()).content.decode()
    assert "Record a progress update" in page
    response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec), follow=True)
    assert response.redirect_chain[-1] == (rec.get_absolute_url(), 302)
    assert "Current status: Amber → Green" in response.content.decode()
    rec.refresh_from_db()
    assert (rec.status, rec.update_count) == (Status.GREEN, 3)
    update = rec.updates.first()
    assert update.author == auditor
    assert update.evidence == [
        {"section": "", "paragraphs": ["12"], "page": 4},
        {"section": "", "paragraphs": [], "page": 9},
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rag": ""}, "Choose a rating"),
        ({"rag": "9"}, "Select a valid choice"),
        ({"assessed_on": ""}, "Enter the date of the assessment"),
        ({"assessed_on": "31/02/2020"}, "31/02/2020 is not a real date: February 2020 has 29 days."),
        ({"assessed_on": (datetime.date.today() + datetime.timedelta(days=1)).isoformat()}, "cannot be in the future"),
        ({"assessed_on": "2016-03-02"}, "cannot be before the report was published (3 March 2016)"),
        ({"summary": ""}, "Summarise the progress found"),
        ({"summary": "   "}, "Summarise the progress found"),
        ({"evidence": "somewhere in the report <b>"}, "Could not read the evidence reference"),
        ({"published_in": "999999"}, "Select a valid choice"),
    ],
)
def test_each_field_is_validated_and_nothing_is_saved(auditor_client, changes, message):
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    before = ProgressUpdate.objects.count()
    response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert ProgressUpdate.objects.count() == before
    rec.refresh_from_db()
    assert rec.status == Status.AMBER


def test_a_correction_must_name_an_update_of_this_recommendation(auditor_client):
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    other = Recommendation.objects.get(report__slug=R2016, number=2).updates.first()
    response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec, corrects=str(other.pk)))
    assert response.status_code == 400
    wrong = rec.updates.first()
    ok = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec, corrects=str(wrong.pk)))
    assert ok.status_code == 302
    assert rec.updates.order_by("-pk").first().corrects == wrong


def test_stale_form_asks_to_confirm_before_saving(auditor_client, auditor):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)
    opened = _valid_post(rec, rag=str(Status.GREEN.value))  # the form as first rendered
    add_update(rec, rag=Status.RED, summary="A colleague's newer assessment.", on=datetime.date(2019, 1, 1))
    response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", opened)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else recorded 1 update after you opened this form" in page
    assert "A colleague&#x27;s newer assessment." in page
    assert "Record my update anyway" in page
    assert rec.updates.count() == 2
    confirmed = auditor_client.post(f"/recommendations/{rec.pk}/updates/", {**opened, "confirm": "on"})
    assert confirmed.status_code == 302
    assert rec.updates.count() == 3


def test_an_update_out_of_date_order_does_not_become_current(auditor_client):
    rec = Recommendation.objects.get(report__slug=R2016, number=9)  # Green, July 2018
    response = auditor_client.post(
        f"/recommendations/{rec.pk}/updates/", _valid_post(rec, rag=str(Status.RED.value), assessed_on="2017-05-01")
    )
    assert response.status_code == 302
    rec.refresh_from_db()
    assert rec.status == Status.GREEN and rec.update_count == 2


def test_extra_post_fields_are_ignored(auditor_client, auditor, officer_b):
    rec = Recommendation.objects.get(report__slug=R2016, number=10)
    post = _valid_post(
        rec,
        author=str(officer_b.pk),
        created="2001-01-01T00:00:00Z",
        status=str(Status.RED.value),
        is_staff="on",
        source_key="forged",
    )
    assert auditor_client.post(f"/recommendations/{rec.pk}/updates/", post).status_code == 302
    update = rec.updates.order_by("-pk").first()
    assert update.author == auditor and update.concerns is None and update.source_key is None
    assert update.created.year >= 2026
    rec.refresh_from_db()
    assert rec.status == Status.GREEN
    auditor.refresh_from_db()
    assert not auditor.is_staff


def test_history_has_no_edit_or_delete_url(auditor_client, admin_client_):
    update = ProgressUpdate.objects.first()
    for method in ("put", "patch", "delete"):
        response = getattr(auditor_client, method)(f"/recommendations/{update.recommendation_id}/updates/")
        assert response.status_code == 405
    assert (
        admin_client_.post(f"/admin/recommendations/progressupdate/{update.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()


def test_roles_come_from_groups(auditor):
    assert list(auditor.groups.values_list("name", flat=True)) == ["Auditor"]
    assert Group.objects.filter(name__in=["Auditor", "Officer", "Admin"]).count() == 3


# On both databases, with 1 earlier update or 41; the stale-form check runs inside the
# service, under the row lock it takes anyway.
# #19: one more, the organisations' latest responses, for the per-addressee flags.
QUERIES_TO_RECORD_AN_UPDATE = 16


@pytest.mark.parametrize("history", [1, 40])
def test_recording_an_update_costs_the_same_whatever_the_history(auditor_client, django_assert_num_queries, history):
    """The POST loads the recommendation alone, not its page: a long history costs nothing more."""
    rec = Recommendation.objects.get(report__slug=R2016, number=2)
    before = rec.updates.count()
    for day in range(history):
        add_update(rec, rag=Status.AMBER, on=datetime.date(2017, 1, 1) + datetime.timedelta(days=day))
    with django_assert_num_queries(QUERIES_TO_RECORD_AN_UPDATE):
        response = auditor_client.post(f"/recommendations/{rec.pk}/updates/", _valid_post(rec))
    assert response.status_code == 302
    assert rec.updates.count() == before + history + 1
