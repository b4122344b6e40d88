"""Follow-up as it really works (#19): each addressee's own response beside the auditor's
rating, per organisation; parts of a recommendation rated together as one round."""

import datetime
import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from recommendations.models import AddresseeStatus, Owner, ProgressUpdate, Recommendation, Response, Status
from recommendations.services import response_create
from tests.conftest import _make_user
from tests.factories import add_update, make_owner, make_recommendation, make_report
from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker.roles import OFFICER

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def rec(number: int) -> Recommendation:
    return Recommendation.objects.get(report__slug=R2016, number=number)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def aberdeen_officer(django_user_model, seeded):
    aberdeen = Owner.objects.get(slug="aberdeen-city-community-planning-partnership")
    return _make_user(django_user_model, "officer-aberdeen", OFFICER, [aberdeen])


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def respond(client, number, *, progress="implemented", text="We did it.", files=(), evidence=""):
    return client.post(
        f"/recommendations/{rec(number).pk}/responses/",
        {"progress": progress, "text": text, "evidence": evidence, "files": list(files)},
    )


# --- The seed data, re-read --------------------------------------------------------------


def test_inverclyde_officer_sees_their_board_paper_as_their_response(officer_a, aberdeen_officer):
    for number in (11, 12, 13):
        mine = page(client_for(officer_a), f"/recommendations/{rec(number).pk}/")
        row = mine.split('id="addressee-inverclyde-alliance"')[1].split("</tr>")[0]
        assert "In progress" in row and "13 June 2016" in row and "Not rated" in row
        assert "continue to work on delivering these improvement actions" in mine.split('id="response-history"')[1]
        theirs = page(client_for(aberdeen_officer), f"/recommendations/{rec(number).pk}/")
        assert "Inverclyde" not in theirs and "improvement actions" not in theirs
        assert 'id="addressee-aberdeen-city-community-planning-partnership"' in theirs
    assert "workshop on leadership" in page(client_for(officer_a), f"/recommendations/{rec(13).pk}/")


def test_2016_dashboard_has_no_point_or_movement_from_inverclydes_paper(auditor_client):
    dashboard = page(auditor_client, f"/reports/{R2016}/")
    trend = dashboard.split('id="trend"')[1].split("<h2")[0]
    assert "July 2018" in trend and "June 2016" not in trend
    assert "June 2016" not in dashboard.split('id="movement"')[1].split("<h2")[0]
    assert "Stayed the same" not in dashboard


def test_portfolio_counts_49_recommendations_and_the_2014_tables_own(auditor_client):
    """51 before #19, less the Board's two items; plus the 2014 table's own recommendation (#20)."""
    assert "50 recommendations in 7 publications" in page(auditor_client, "/")


# --- Rounds of parts ---------------------------------------------------------------------


def test_2016_1_shows_its_two_2018_parts_side_by_side_as_one_amber_round(auditor_client):
    detail = page(auditor_client, f"/recommendations/{rec(1).pk}/")
    history = detail.split('id="progress-history"')[1]
    assert "Changed" not in history
    assert "2 parts rated together" in history
    round_ = history.split('class="ds_table tracker-round"')[1].split("</table>")[0]
    assert round_.index("Route map for improving community planning") < round_.index(
        "How the impact of these changes will be assessed"
    )
    assert "Green" in round_ and "Amber" in round_
    heading = history.split('class="tracker-history__title"')[1].split("</h3>")[0]
    assert "Amber" in heading and "Green" not in heading
    assert "rated the worst of its parts" in detail
    assert rec(1).status == Status.AMBER


def test_a_round_is_rated_the_worst_of_its_parts_whatever_order_they_were_loaded_in():
    report = make_report(published=datetime.date(2016, 3, 3))
    later = make_report(published=datetime.date(2018, 7, 1))
    for order in ([Status.AMBER, Status.GREEN], [Status.GREEN, Status.AMBER], [Status.GREEN, Status.RED]):
        recommendation = make_recommendation(report=report)
        for n, rag in enumerate(order):
            add_update(recommendation, rag=rag, part=f"Part {n}", published_in=later)
        recommendation.refresh_from_db()
        assert recommendation.status == min(order), order
        # "As at" counts meet the round once, with its rating.
        in_force = ProgressUpdate.objects.filter(recommendation=recommendation, superseded_on__isnull=True)
        assert list(in_force.values_list("rag", flat=True)) == [min(order)]


# --- Recording a response ----------------------------------------------------------------


def test_officer_records_implemented_with_a_file_and_only_those_who_may_see_it_can_open_it(
    officer_a, aberdeen_officer, officer_b, auditor
):
    officer = client_for(officer_a)
    recorded = respond(officer, 12, files=[SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")])
    assert recorded.status_code == 302 and recorded.url.endswith("#responses")
    response = Response.objects.filter(recommendation=rec(12)).latest()
    assert (response.organisation.slug, response.progress, response.author) == (
        "inverclyde-alliance",
        "implemented",
        officer_a,
    )
    evidence = response.files.get()
    assert (evidence.name, evidence.kind, evidence.size) == ("minutes.pdf", "pdf", len(PDF))
    assert "minutes" not in evidence.file.name  # stored under a name of ours
    url = f"/evidence/{evidence.pk}/"
    for user in (officer_a, auditor):
        download = client_for(user).get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert 'attachment; filename="minutes.pdf"' in download["Content-Disposition"]
    for user in (aberdeen_officer, officer_b):
        assert client_for(user).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    detail = page(officer, f"/recommendations/{rec(12).pk}/")
    row = detail.split('id="addressee-inverclyde-alliance"')[1].split("</tr>")[0]
    assert "Implemented" in row and "Response and rating disagree" in row and "Response awaiting assessment" in row


def test_responses_are_append_only_the_latest_is_shown_beside_the_rating(officer_a):
    officer = client_for(officer_a)
    respond(officer, 11, progress="not_started", text="Not yet.")
    respond(officer, 11, progress="partly_implemented", text="Half way.")
    assert Response.objects.filter(recommendation=rec(11)).count() == 3  # with the seeded paper
    detail = page(officer, f"/recommendations/{rec(11).pk}/")
    row = detail.split('id="addressee-inverclyde-alliance"')[1].split("</tr>")[0]
    assert "Partly implemented" in row and "Not started" not in row
    assert "3 responses, newest first" in detail


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("photo.png", PDF, "not what its name says"),  # a PDF named as an image
        ("report.pdf", b"<html><script>alert(1)</script></html>", "not a file we accept"),
        ("budget.xlsx", docx(), "not what its name says"),  # a Word document named as a workbook
        ("tool.pdf", b"MZ\x90\x00\x03", "not a file we accept"),  # a Windows program
        ("notes.txt", b"plain words", "not a file we accept"),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_written(officer_a, name, content, why):
    before = (Response.objects.count(), default_storage.exists("responses") and len(_stored()))
    refused = respond(
        client_for(officer_a), 12, files=[SimpleUploadedFile(name, content, content_type="application/pdf")]
    )
    assert refused.status_code == 400
    assert why in refused.content.decode()
    assert (Response.objects.count(), default_storage.exists("responses") and len(_stored())) == before


def _stored() -> list[str]:
    found = []
    for year in default_storage.listdir("responses")[0]:
        for month in default_storage.listdir(f"responses/{year}")[0]:
            found += default_storage.listdir(f"responses/{year}/{month}")[1]
    return found


def test_files_of_every_accepted_kind_are_kept_and_one_too_large_is_refused(officer_a, settings):
    ok = respond(
        client_for(officer_a),
        12,
        files=[
            SimpleUploadedFile("a.docx", docx()),
            SimpleUploadedFile("b.PNG", PNG),
            SimpleUploadedFile("c.pdf", PDF),
        ],
    )
    assert ok.status_code == 302
    assert sorted(Response.objects.filter(recommendation=rec(12)).latest().files.values_list("kind", flat=True)) == [
        "docx",
        "pdf",
        "png",
    ]
    settings.TRACKER_EVIDENCE_MAX_BYTES = 10
    refused = respond(client_for(officer_a), 12, files=[SimpleUploadedFile("c.pdf", PDF)])
    assert refused.status_code == 400 and "files can be at most 10" in refused.content.decode()


def test_the_service_refuses_an_organisation_the_recommendation_is_not_addressed_to(seeded):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        response_create(
            recommendation=rec(8),  # the Scottish Government's
            organisation=Owner.objects.get(slug="inverclyde-alliance"),
            progress="implemented",
            text="Not ours.",
            responded_on=timezone.localdate(),
        )


def test_xss_through_response_text_and_file_names_executes_nothing(officer_a, auditor):
    officer = client_for(officer_a)
    for n, payload in enumerate(PAYLOADS):
        posted = respond(officer, 12, text=f"Words {n} {payload}", files=[SimpleUploadedFile(f"{payload}.pdf", PDF)])
        assert posted.status_code in (302, 400), payload
    assert Response.objects.filter(recommendation=rec(12), author=officer_a).count() > len(PAYLOADS) // 2
    for user in (officer_a, auditor):
        assert_no_executable_vector(page(client_for(user), f"/recommendations/{rec(12).pk}/"))


# --- The auditor's rating for one organisation -------------------------------------------


def test_auditor_rates_green_for_inverclyde_alone(officer_a, auditor, aberdeen_officer):
    respond(client_for(officer_a), 12, evidence="Paragraph 5.4")
    auditor_client = client_for(auditor)
    inverclyde = Owner.objects.get(slug="inverclyde-alliance")
    form = page(auditor_client, f"/recommendations/{rec(12).pk}/?assess={inverclyde.pk}")
    form = form.split('id="add-update"')[1]
    assert 'value="Paragraph 5.4"' in form
    assert f'<option value="{inverclyde.pk}" selected>Inverclyde Alliance</option>' in form
    national_before = (rec(12).status, rec(12).status_date)
    posted = auditor_client.post(
        f"/recommendations/{rec(12).pk}/",
        {"rag": Status.GREEN, "assessed_on": timezone.localdate().isoformat(), "summary": "Evidence seen.",
         "concerns": inverclyde.pk, "seen_latest": 10**9},
    )  # fmt: skip
    assert posted.status_code == 302
    assert (rec(12).status, rec(12).status_date) == national_before
    statuses = dict(AddresseeStatus.objects.filter(recommendation=rec(12)).values_list("organisation__slug", "status"))
    assert statuses == {"inverclyde-alliance": Status.GREEN}
    row = page(auditor_client, f"/recommendations/{rec(12).pk}/").split('id="addressee-inverclyde-alliance"')[1]
    row = row.split("</tr>")[0]
    assert "Green" in row and "for this organisation" in row and "disagree" not in row and "awaiting" not in row
    theirs = page(client_for(aberdeen_officer), f"/recommendations/{rec(12).pk}/")
    assert "Green" not in theirs.split('id="responses"')[1].split("</table>")[0]


# --- Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("addressees", [1, 12])
def test_detail_queries_do_not_grow_with_addressees_and_responses(
    auditor_client, django_assert_max_num_queries, addressees
):
    owners = [make_owner(f"Body {n}") for n in range(addressees)]
    recommendation = make_recommendation(owners=owners)
    for owner in owners:
        for n in range(3):
            response = response_create(
                recommendation=recommendation,
                organisation=owner,
                progress="in_progress",
                text=f"Step {n}.",
                responded_on=datetime.date(2020, 1, 1 + n),
                files=[SimpleUploadedFile("a.pdf", PDF)],
            )
        add_update(recommendation, rag=Status.AMBER, concerns=owner)
    assert response.pk
    # With the recommendation's life (#20): closures, links, acceptances and the closing form's lists (5).
    with django_assert_max_num_queries(21):
        detail = page(auditor_client, f"/recommendations/{recommendation.pk}/")
    assert detail.count('id="addressee-body-') == addressees
    assert detail.count('class="tracker-history__item" id="response-') == 3 * addressees


# --- Flags in the table, counts, per-addressee status, export ----------------------------


def _flag_12_for_inverclyde(officer_a):
    assert respond(client_for(officer_a), 12).status_code == 302  # Implemented, years after the rating


def test_table_filters_and_counts_show_flagged_responses_only_to_who_may_see_them(officer_a, aberdeen_officer, auditor):
    _flag_12_for_inverclyde(officer_a)
    for user, expected in [(auditor, [12]), (officer_a, [12]), (aberdeen_officer, [])]:
        client = client_for(user)
        for flag in ("disagree", "awaiting"):
            found = client.get("/recommendations/", {"follow_up": flag, "_export": "json"})
            rows = json.loads(b"".join(found.streaming_content))
            assert [row["number"] for row in rows] == expected, (user, flag)
        portfolio = page(client, "/")
        count = 1 if expected else 0
        assert f"{count} recommendation{'s' if count != 1 else ''} where an organisation" in portfolio
        dashboard = page(client, f"/reports/{R2016}/")
        assert f"{count} recommendation{'s' if count != 1 else ''} with a response awaiting assessment" in dashboard


def test_per_addressee_status_on_owner_pages_and_the_organisations_list(officer_a, auditor, aberdeen_officer):
    inverclyde = Owner.objects.get(slug="inverclyde-alliance")
    add_update(rec(12), rag=Status.RED, on=timezone.localdate(), concerns=inverclyde)
    owners = page(client_for(auditor), "/owners/")
    row = owners.split('href="/owners/inverclyde-alliance/"')[1].split("</tr>")[0]
    fife = owners.split('href="/owners/fife-community-planning-partnership/"')[1].split("</tr>")[0]
    assert "Red" in row and "Red" not in fife
    mine = page(client_for(officer_a), "/my/")
    assert "Red" in mine.split("Current status")[1].split("</ul>")[0]
    theirs = page(client_for(aberdeen_officer), "/owners/inverclyde-alliance/")
    assert "Red" not in theirs.split('id="recommendations-table"')[1]
    status_red = client_for(auditor).get(
        "/recommendations/", {"owner": "inverclyde-alliance", "status": "red", "_export": "json"}
    )
    rows = json.loads(b"".join(status_red.streaming_content))
    assert [(row["number"], row["status"]) for row in rows] == [(12, "Not rated")]  # national, in the export


def test_the_by_organisation_export_has_both_voices(officer_a, auditor, aberdeen_officer):
    _flag_12_for_inverclyde(officer_a)
    got = client_for(auditor).get("/recommendations/", {"report": R2016, "_export": "addressees-csv"})
    assert got["Content-Disposition"].startswith('attachment; filename="recommendations-by-organisation-')
    lines = b"".join(got.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Report,Number,Organisation,Response,Response date,Rating for the organisation")
    inverclyde = [line for line in lines if ",Inverclyde Alliance," in line]
    assert len(inverclyde) == 3  # its board paper on #11 and #13, its new response on #12
    assert any(",12,Inverclyde Alliance,Implemented," in line and line.endswith(",national,yes,yes") for line in lines)
    assert sum(",1,COSLA," in line or ",1,Scottish Government," in line for line in lines) == 2
    theirs = client_for(aberdeen_officer).get("/recommendations/", {"_export": "addressees-json"})
    assert "Inverclyde" not in b"".join(theirs.streaming_content).decode()


@pytest.mark.parametrize("n", [2, 40])
def test_table_and_my_page_queries_do_not_grow_with_addressees_and_responses(
    auditor_client, officer_a, django_assert_max_num_queries, n
):
    owners = [make_owner(f"Body {i}") for i in range(n)]
    report = make_report(published=datetime.date(2016, 3, 3))
    for i in range(n):
        recommendation = make_recommendation(
            report=report, owners=[*owners[: 1 + i % 5], Owner.objects.get(all_cpps=True)]
        )
        for owner in owners[: 1 + i % 5]:
            response_create(
                recommendation=recommendation,
                organisation=owner,
                progress="implemented",
                text="Done.",
                responded_on=timezone.localdate(),
            )
    with django_assert_max_num_queries(13):
        assert auditor_client.get("/recommendations/", {"follow_up": "awaiting", "per_page": 100}).status_code == 200
    # With open and closed counts and, until it is kept, implementation over time (#20: 8).
    with django_assert_max_num_queries(17):
        assert auditor_client.get("/").status_code == 200
    officer = client_for(officer_a)
    with django_assert_max_num_queries(16):
        assert officer.get("/my/", {"per_page": 100}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_migration_turns_a_local_response_stored_as_an_assessment_into_the_organisations_response():
    from tests.factories import at_migration

    with at_migration("recommendations", "0010_choice_lists_in_the_cache") as old:
        Report = old.get_model("reports", "Report")
        Owner_ = old.get_model("recommendations", "Owner")
        Rec = old.get_model("recommendations", "Recommendation")
        Update = old.get_model("recommendations", "ProgressUpdate")
        audit = Report.objects.create(
            title="Audit", slug="audit-x", published=datetime.date(2015, 1, 1), kind="performance_audit"
        )
        paper = Report.objects.create(
            title="Paper", slug="paper-x", published=datetime.date(2016, 6, 1), kind="local_response"
        )
        cpp = Owner_.objects.create(name="A CPP X", slug="a-cpp-x", kind="cpp")
        rec = Rec.objects.create(report=audit, number=1, text="Do it.")
        rec.owners.add(cpp)
        board = Rec.objects.create(report=paper, number=1, text="It is recommended that the Alliance Board:\n- Note it")
        board.owners.add(cpp)
        Update.objects.create(
            recommendation=rec, assessed_on=datetime.date(2016, 6, 1), rag=4, summary="Our words.",
            concerns=cpp, published_in=paper, source_key="paper-x-1",
            evidence=[{"section": "", "paragraphs": ["5.4"], "page": None}],
        )  # fmt: skip
    response = Response.objects.get(source_key="paper-x-1")
    assert (response.recommendation_id, response.organisation.slug, response.progress) == (
        rec.pk,
        "a-cpp-x",
        "in_progress",
    )
    assert (response.text, response.responded_on, response.evidence_display) == (
        "Our words.", datetime.date(2016, 6, 1), ["Paragraph 5.4"],
    )  # fmt: skip
    assert not ProgressUpdate.objects.filter(source_key="paper-x-1").exists()
    assert not Recommendation.objects.filter(pk=board.pk).exists()
    row = AddresseeStatus.objects.get(recommendation_id=rec.pk)
    assert (row.organisation.slug, row.progress, row.status, row.awaiting_assessment) == (
        "a-cpp-x",
        "in_progress",
        None,
        True,
    )
