"""The printable appendix as a board paper, on the page and as the server's PDF (#21, #18)."""

import datetime
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from recommendations.models import Recommendation, Status
from tests.conftest import _make_user
from tests.factories import add_update
from tracker.roles import AUDITOR

pytestmark = pytest.mark.django_db

R2016 = "community-planning-update-2016"
PAGE = f"/reports/{R2016}/appendix/"
PDF = f"/reports/{R2016}/appendix.pdf"
A4_POINTS = (595, 842)  # 210 x 297 mm
# The published 2018 impact report (the 2016 report's follow-up), whose appendix gives
# each row's "Audit dimension – ..." line.
IMPACT_REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "001_b0121d5c7930e7ce.txt"


def published_dimension_lines() -> list[str]:
    """The 'Audit dimension – ...' lines of the published appendix, read from the source."""
    return re.findall(r"<i>(Audit dimension – [^<]+)</i>", IMPACT_REPORT.read_text(encoding="utf-8"))


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def auditor_pdf(django_db_setup, django_db_blocker):
    """The auditor's 2016 appendix PDF, made once for the module (WeasyPrint takes a second
    or two); the user made for it is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        client = Client()
        client.force_login(_make_user(get_user_model(), "pdf", AUDITOR))
        response = client.get(PDF)
        transaction.set_rollback(True)
    assert response.status_code == 200, response.status_code
    return response


def test_the_published_appendix_has_its_dimension_lines():
    # The source the next tests hold the appendix to: 8 rows, each with its line.
    assert len(published_dimension_lines()) == 8


# --- The PDF ------------------------------------------------------------------------------


def test_2016_pdf_is_at_most_nine_a4_pages(auditor_pdf):
    assert auditor_pdf["Content-Type"] == "application/pdf"
    assert f'filename="{R2016}-appendix-{timezone.localdate().isoformat()}.pdf"' in auditor_pdf["Content-Disposition"]
    reader, _ = pdf_text(auditor_pdf.content)
    assert 1 <= len(reader.pages) <= 9, len(reader.pages)
    for page in reader.pages:
        assert tuple(round(float(x)) for x in page.mediabox[2:]) == A4_POINTS


def test_2016_pdf_one_current_rating_per_recommendation(auditor_pdf):
    _, text = pdf_text(auditor_pdf.content)
    for number in range(1, 14):
        assert f"Recommendation {number} " in text, number
    # Ten rows (5-6 and 11-13 share their assessment), each with one current rating, in
    # words: #1 is Amber (its latest part rated), though its route map part is Green.
    ratings = re.findall(r"Current rating: (Red|Amber|Green|Not rated|Never assessed)", text)
    assert ratings == ["Amber", "Green", "Green", "Green", "Red", "Green", "Amber", "Green", "Amber", "Not rated"]
    assert "Route map for improving community planning: Green" in text


def test_2016_pdf_has_every_audit_dimension_line_of_the_published_appendix(auditor_pdf):
    _, text = pdf_text(auditor_pdf.content)
    found = Counter(
        re.findall(r"Audit dimension – (?:governance and transparency(?: and value for money)?|value for money)", text)
    )
    # Every line the published appendix prints, as often as it prints it; one more
    # "governance and transparency" because #1 and #7 (one row there) have separate
    # assessments here.
    assert found >= Counter(published_dimension_lines()), found
    assert found.total() == 9  # a line per row of #1-#10; #11-#13 (CPPs) have none


def test_2016_pdf_dates_and_page_numbers(auditor_pdf):
    reader, text = pdf_text(auditor_pdf.content)
    today = timezone.localdate()
    assert f"Status as at {today.day} {today:%B %Y}" in text
    assert f"Printed on {today.day} {today:%B %Y}" in text
    last = len(reader.pages)
    assert f"Page {last} of {last}" in reader.pages[-1].extract_text()
    # No last page holding only the end of the document: the final page carries a row.
    assert "Current rating:" in reader.pages[-1].extract_text()


def test_pdf_as_at_a_date_and_kept_in_the_cache(auditor_client, seeded, django_assert_max_num_queries):
    response = auditor_client.get(PDF + "?as_at=2018-06-30")
    assert response.status_code == 200
    assert 'appendix-2018-06-30.pdf"' in response["Content-Disposition"]
    _, text = pdf_text(response.content)
    assert "Status as at 30 June 2018" in text
    assert text.count("Current rating: Never assessed") == 13
    with django_assert_max_num_queries(9):
        again = auditor_client.get(PDF + "?as_at=2018-06-30")
    assert again.content == response.content


def test_pdf_is_not_made_for_a_publication_the_viewer_may_not_see(client, officer_b, seeded):
    # A local response belongs to its organisation: the Scottish Government's officer may
    # not open Inverclyde Alliance's, in HTML or as a PDF.
    client.force_login(officer_b)
    slug = "inverclyde-alliance-response-2016"
    assert client.get(f"/reports/{slug}/appendix/").status_code == 404
    assert client.get(f"/reports/{slug}/appendix.pdf").status_code == 404
    assert client.get("/reports/no-such-report/appendix.pdf").status_code == 404
    assert client.post(PDF).status_code == 405


def test_pdf_bad_date_is_refused(auditor_client, seeded):
    response = auditor_client.get(PDF + "?as_at=31-02-2018")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- The page -----------------------------------------------------------------------------


def test_page_says_as_at_printed_on_and_links_the_pdf(auditor_client, seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = auditor_client.get(PAGE + "?as_at=2018-07-31")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'Status as at</dt> <dd><time datetime="2018-07-31">31 July 2018</time>' in page
    today = timezone.localdate()
    assert f'Printed on</dt> <dd><time datetime="{today:%Y-%m-%d}">' in page
    assert f'href="/reports/{R2016}/appendix.pdf?as_at=2018-07-31"' in page
    assert page.count("Current rating:") == 10
    dashboard = auditor_client.get(f"/reports/{R2016}/").content.decode()
    assert f'href="/reports/{R2016}/appendix.pdf"' in dashboard


def test_page_as_at_before_the_ratings_and_before_publication(auditor_client, seeded):
    page = auditor_client.get(PAGE + "?as_at=2018-06-30").content.decode()
    assert page.count("Current rating:") == 13 and "Rating: Green" not in page
    assert page.count("No assessment of progress had been recorded by then.") == 13
    early = auditor_client.get(PAGE + "?as_at=2015-01-01").content.decode()
    assert "This report was not yet published on 1 January 2015" in early
    assert "Current rating:" not in early
    assert auditor_client.get(PAGE + "?as_at=2999-01-01").status_code == 400


def test_one_current_rating_with_the_earlier_ones_under_previously(auditor_client, auditor, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=8)  # Amber in July 2018
    summary = "The new National Performance Framework is in place.\n- outcomes agreed\n- indicators published"
    add_update(rec, Status.GREEN, datetime.date(2020, 3, 1), summary, author=auditor)
    page = auditor_client.get(PAGE).content.decode()
    row = page.split("Recommendation 8</p>", 1)[1].split("</tr>", 1)[0]
    assert row.count("Current rating:") == 1
    assert re.search(r"Current rating: <strong[^>]*>Green</strong>", row)
    assert "<ul><li>outcomes agreed</li><li>indicators published</li></ul>" in row
    previously = row.split("Previously", 1)[1]
    assert "July 2018: Amber" in previously
    assert "Amber" not in row.split("Previously", 1)[0]
    # As at before the new rating, July 2018's is the current one again, with nothing before it.
    then = auditor_client.get(PAGE + "?as_at=2019-01-01").content.decode()
    row = then.split("Recommendation 8</p>", 1)[1].split("</tr>", 1)[0]
    assert re.search(r"Current rating: <strong[^>]*>Amber</strong>", row) and "Previously" not in row


def test_officer_appendix_says_whose_recommendations_it_holds(client, auditor_client, officer_a, officer_b, seeded):
    assert auditor_client.get(PDF).status_code == 200  # kept in the cache: never an officer's to reuse
    client.force_login(officer_a)
    page = client.get(PAGE).content.decode()
    assert "Recommendations addressed to Inverclyde Alliance or to all CPPs: 3 of 13." in page
    assert page.count("Current rating:") == 1  # #11-#13 share one assessment
    _, text = pdf_text(client.get(PDF).content)
    assert "Recommendations addressed to Inverclyde Alliance or to all CPPs: 3 of 13." in text
    assert "Recommendation 1 " not in text and "Recommendation 11" in text
    client.force_login(officer_b)
    page = client.get(PAGE).content.decode()
    assert "Recommendations addressed to Scottish Government: 10 of 13." in page


def test_auditor_appendix_makes_no_coverage_claim(auditor_client, seeded):
    assert "Recommendations addressed to" not in auditor_client.get(PAGE).content.decode()


def test_bullets_print_as_lists_in_the_appendix(auditor_client, seeded):
    page = auditor_client.get(PAGE).content.decode()
    # Seeded text: "The Scottish Government and COSLA should:\n- set out a clear route map ..."
    assert "<p>The Scottish Government and COSLA should:</p>\n<ul><li>set out a clear route map" in page
    assert "\n- set out" not in page and "<br>- " not in page


def test_the_pdf_fetches_only_the_apps_own_static_files():
    from reports.pdf import _static_file

    assert _static_file("https://testserver/static/css/appendix-pdf.css").name == "appendix-pdf.css"
    for url in ("https://evil.example/x.css", "file:///etc/passwd", "https://testserver/static/../../etc/passwd"):
        assert _static_file(url) is None, url
