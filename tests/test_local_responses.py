"""A local response concerns one organisation (#17): it never sets the recommendation's own
status, and an officer of another organisation sees nothing of it anywhere: not its rating,
date, count or words, on any page, filter, sort, search or export. Its own organisation's
officers and auditors see it, labelled as a local response, beside the national status."""

import datetime
import io
import json
import re

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from recommendations.models import Owner, ProgressUpdate, Recommendation, Status
from reports.models import ReportKind
from tests.conftest import _make_user
from tests.factories import add_update, at_migration, make_recommendation, make_report
from tracker.roles import OFFICER

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"
WORDS = "zebracrossing audit of partnership leadership"  # in the local response alone
SEEDED_WORDS = '"workshop on leadership"'  # only in Inverclyde's 2016 board paper


@pytest.fixture
def rec_11(seeded):
    """2016 #11, addressed to all CPPs, rated Not rated nationally in July 2018."""
    return Recommendation.objects.get(report__slug=R2016, number=11)


@pytest.fixture
def aberdeen_officer(django_user_model, seeded):
    aberdeen = Owner.objects.get(slug="aberdeen-city-community-planning-partnership")
    return _make_user(django_user_model, "officer-aberdeen", OFFICER, [aberdeen])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local_red(rec, org):
    return add_update(rec, rag=Status.RED, on=timezone.localdate(), summary=f"Local review: {WORDS}.", concerns=org)


def urls(rec) -> list[str]:
    """Every page and export where an Aberdeen City officer could meet 2016 #11."""
    table = "/recommendations/"
    pages = [
        f"/recommendations/{rec.pk}/",
        table,
        f"{table}?status=red",
        f"{table}?status=not-rated",
        f"{table}?sort=status",
        f"{table}?sort=-status_date",
        f"{table}?sort=update_count",
        f"{table}?q=zebracrossing",
        f"{table}?q=leadership",
        f"{table}?status=red&_export=csv",
        f"{table}?_export=csv",
        f"{table}?_export=json",
        f"{table}?sort=status&_export=json",
        "/my/",
        "/my/?_export=csv",
        "/owners/",
        "/owners/community-planning-partnerships/",
        "/owners/aberdeen-city-community-planning-partnership/",
        "/owners/aberdeen-city-community-planning-partnership/?_export=json",
        f"/reports/{R2016}/",
        f"/reports/{R2016}/?status=red",
        f"/reports/{R2016}/?as_at={timezone.localdate().isoformat()}",
        f"/reports/{R2016}/appendix/",
        "/",
        f"/?as_at={timezone.localdate().isoformat()}",
        "/reports/",
    ]
    return pages


# What differs between two requests for the same page: nonces and CSRF tokens.
_VOLATILE = re.compile(rb'(nonce|csrfmiddlewaretoken" value|name="csrf-token" content)="[^"]*"')


def seen(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return _VOLATILE.sub(rb'\1=""', body)


def xlsx_rows(client, url) -> list[tuple]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))


def test_another_cpps_officer_sees_nothing_of_a_local_response(rec_11, org_a, aberdeen_officer):
    client = client_for(aberdeen_officer)
    before = {url: seen(client, url) for url in urls(rec_11)}
    xlsx_before = xlsx_rows(client, "/recommendations/?_export=xlsx")
    local_red(rec_11, org_a)
    for url in urls(rec_11):
        assert seen(client, url) == before[url], f"{url} changed for another CPP's officer"
    assert xlsx_rows(client, "/recommendations/?_export=xlsx") == xlsx_before


def test_the_local_response_sets_no_status(rec_11, org_a):
    local_red(rec_11, org_a)
    rec_11.refresh_from_db()
    assert (rec_11.status, rec_11.status_date, rec_11.update_count) == (Status.NOT_RATED, datetime.date(2018, 7, 1), 1)


def test_its_own_officer_and_auditors_see_it_as_a_local_response(rec_11, org_a, officer_a, auditor):
    local_red(rec_11, org_a)
    today = timezone.localdate()
    for user in (officer_a, auditor):
        client = client_for(user)
        page = client.get(f"/recommendations/{rec_11.pk}/").content.decode()
        assert "Current status (national)" in page
        # Since #19: the auditor's rating for one organisation, beside its response (by organisation).
        local = page.split('id="addressee-inverclyde-alliance"')[1].split("</tr>")[0]
        assert "Inverclyde Alliance" in local and "Red" in local and f"{today.day} {today:%B %Y}" in local
        assert "for this organisation" in local
        assert WORDS in page and "Rating for Inverclyde Alliance" in page
        found = json.loads(b"".join(client.get("/recommendations/", {"q": "zebracrossing", "_export": "json"})))
        assert [(row["report"], row["number"]) for row in found] == [("Community planning: an update", 11)]
        # The table still shows the national status for it.
        assert found[0]["status"] == "Not rated"


def test_seeded_board_paper_is_searchable_only_by_its_organisation(rec_11, officer_a, aberdeen_officer, auditor):
    def numbers(user):
        response = client_for(user).get("/recommendations/", {"q": SEEDED_WORDS, "_export": "json"})
        return sorted(row["number"] for row in json.loads(b"".join(response.streaming_content)))

    assert numbers(auditor) == numbers(officer_a) != []
    assert numbers(aberdeen_officer) == []
    page = client_for(aberdeen_officer).get(f"/recommendations/{rec_11.pk}/").content.decode()
    assert "Inverclyde" not in page and "workshop on leadership" not in page


def test_another_organisations_local_response_publication_is_not_theirs(aberdeen_officer, officer_a, auditor):
    url = "/reports/inverclyde-alliance-response-2016/"
    assert client_for(aberdeen_officer).get(url).status_code == 404
    assert client_for(aberdeen_officer).get(url + "appendix/").status_code == 404
    assert client_for(officer_a).get(url).status_code == 200
    assert client_for(auditor).get(url).status_code == 200


def test_theme_filter_lists_only_themes_the_officer_may_see(officer_a, auditor):
    def themes(user):
        page = client_for(user).get("/recommendations/").content.decode()
        select = page.split('name="theme"')[1].split("</select>")[0]
        return set(re.findall(r'<option value="([^"]+)"', select))

    make_recommendation(make_report(), owners=[Owner.objects.get(slug="cosla")], theme="Only addressed to COSLA")
    assert "Only addressed to COSLA" in themes(auditor)
    mine = themes(officer_a)
    assert "Strong shared leadership" in mine  # 2013 #1, addressed to all CPPs
    assert "Only addressed to COSLA" not in mine


def test_history_compares_each_voice_with_its_own_previous(rec_11, org_a, auditor):
    local_red(rec_11, org_a)
    add_update(rec_11, rag=Status.AMBER, on=timezone.localdate(), summary="National view.")
    page = client_for(auditor).get(f"/recommendations/{rec_11.pk}/").content.decode()
    history = page.split('id="progress-history"')[1]
    items = history.split('class="tracker-history__item"')[1:]
    national, local = items[0], items[1]
    # The national Amber follows the national Not rated of July 2018, not the local Red ...
    change = national.split("tracker-history__change")[1].split("</p>")[0]
    assert "Changed:" in change and "Not rated" in change and "Red" not in change
    change = local.split("tracker-history__change")[1].split("</p>")[0]
    # Since #19 the board paper is Inverclyde's response, not a rating: the rating for
    # Inverclyde is its first, and the history never compares it with the national one.
    assert "Rating for Inverclyde Alliance" in local and "First rating for Inverclyde Alliance" in change


@pytest.mark.django_db(transaction=True)
def test_migration_derives_status_again_from_national_assessments():
    with at_migration("recommendations", "0008_owner_names") as old:
        Report = old.get_model("reports", "Report")
        Owner_ = old.get_model("recommendations", "Owner")
        Rec = old.get_model("recommendations", "Recommendation")
        Update = old.get_model("recommendations", "ProgressUpdate")
        report = Report.objects.create(
            title="Before", slug="before", published=datetime.date(2015, 1, 1), kind=ReportKind.PERFORMANCE_AUDIT.value
        )
        cpp = Owner_.objects.create(name="A CPP", slug="a-cpp", kind="cpp")
        stamp = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        # As the old service stored it: the later local Red had become everyone's status.
        rec = Rec.objects.create(
            report=report, number=1, text="Do it.", status=1, status_date=datetime.date(2017, 1, 1), update_count=2
        )
        national = Update.objects.create(
            recommendation=rec,
            assessed_on=datetime.date(2016, 1, 1),
            rag=2,
            summary="n",
            created=stamp,
            superseded_on=datetime.date(2017, 1, 1),
        )
        local = Update.objects.create(
            recommendation=rec, assessed_on=datetime.date(2017, 1, 1), rag=1, summary="l", created=stamp, concerns=cpp
        )
        only_local = Rec.objects.create(
            report=report, number=2, text="Or this.", status=1, status_date=datetime.date(2017, 1, 1), update_count=1
        )
        Update.objects.create(
            recommendation=only_local,
            assessed_on=datetime.date(2017, 1, 1),
            rag=1,
            summary="l",
            created=stamp,
            concerns=cpp,
        )
    rec = Recommendation.objects.get(pk=rec.pk)
    assert (rec.status, rec.status_date, rec.update_count) == (Status.AMBER, datetime.date(2016, 1, 1), 1)
    assert rec.first_assessed_on == datetime.date(2016, 1, 1)
    superseded = dict(ProgressUpdate.objects.filter(recommendation=rec).values_list("pk", "superseded_on"))
    assert superseded == {national.pk: None, local.pk: None}
    only_local = Recommendation.objects.get(pk=only_local.pk)
    assert (only_local.status, only_local.status_date, only_local.update_count) == (Status.NEVER_ASSESSED, None, 0)
