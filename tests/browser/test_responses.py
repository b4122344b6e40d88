"""#19 in Chromium: Inverclyde's officer records "Implemented" with an evidence file on 2016
#12; the auditor sees the flag, opens the evidence and rates Green for Inverclyde alone.
Keyboard only (no mouse clicks; the file chooser is the browser's own), axe-clean."""

import re

import pytest
from playwright.sync_api import expect

from recommendations.models import AddresseeStatus, Recommendation, Status
from tests.browser.conftest import assert_accessible

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.browser


def _press(locator, key="Enter"):
    locator.focus()
    locator.press(key)


def test_response_flag_evidence_and_a_rating_for_one_organisation(page, visit, sign_in, officer_a, auditor):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=12)
    national = (rec.status, rec.status_date)
    assert rec.status == Status.NOT_RATED

    sign_in(officer_a)
    visit(page, rec.get_absolute_url(), name="officer-before")
    form = page.locator("form", has=page.get_by_role("button", name="Record response"))
    _press(form.get_by_label("Implemented", exact=True), " ")
    form.get_by_label("What has been done").focus()
    page.keyboard.type("Community voice panels run in every locality since 2024.")
    form.get_by_label("Evidence references (optional)").focus()
    page.keyboard.type("Paragraph 5.4")
    form.get_by_label("Evidence files (optional)").set_input_files(
        {"name": "panel-minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    _press(form.get_by_role("button", name="Record response"))
    expect(
        page.get_by_text("Response recorded for Inverclyde Alliance (Implemented, 1 file of evidence).")
    ).to_be_visible()
    row = page.locator("#addressee-inverclyde-alliance")
    expect(row).to_contain_text("Implemented")
    expect(row).to_contain_text("Response and rating disagree")
    visit.screenshot(page, "officer-recorded")
    assert_accessible(page, "recommendation page, officer, after responding")

    sign_in(auditor)
    visit(page, rec.get_absolute_url(), name="auditor-flagged")
    row = page.locator("#addressee-inverclyde-alliance")
    expect(row).to_contain_text("Response and rating disagree")
    expect(row).to_contain_text("Not rated")
    expect(row).to_contain_text("national")
    assert_accessible(page, "recommendation page, auditor, flagged")
    with page.expect_download() as download:
        _press(page.get_by_role("link", name="panel-minutes.pdf"))
    assert download.value.suggested_filename == "panel-minutes.pdf"
    assert open(download.value.path(), "rb").read() == PDF

    _press(row.get_by_role("link", name=re.compile("Assess Inverclyde Alliance")))
    update = page.locator("form", has=page.get_by_role("button", name="Record update"))
    expect(update.get_by_label("Rating for")).to_have_value(str(officer_a.organisations.get().pk))
    expect(update.get_by_label("Evidence references (optional)")).to_have_value("Paragraph 5.4")
    _press(update.get_by_label("Green", exact=True), " ")
    update.get_by_label("Summary of progress").focus()
    page.keyboard.type("Panel minutes seen: Inverclyde has done it.")
    _press(update.get_by_role("button", name="Record update"))
    expect(
        page.get_by_text(re.compile(r"Green for Inverclyde Alliance; national status still Not rated"))
    ).to_be_visible()
    row = page.locator("#addressee-inverclyde-alliance")
    expect(row).to_contain_text("Green")
    expect(row).to_contain_text("for this organisation")
    expect(row).not_to_contain_text("disagree")
    visit.screenshot(page, "auditor-rated")
    assert_accessible(page, "recommendation page, auditor, after rating")

    rec.refresh_from_db()
    assert (rec.status, rec.status_date) == national
    own = AddresseeStatus.objects.filter(recommendation=rec, status__isnull=False)
    assert dict(own.values_list("organisation__slug", "status")) == {"inverclyde-alliance": Status.GREEN}
    for owner, shown in [("fife-community-planning-partnership", "Not rated"), ("inverclyde-alliance", "Green")]:
        visit(page, f"/owners/{owner}/?per_page=100", name=owner)
        row = page.locator("#recommendations-table tbody tr", has=page.locator(f'a[href="{rec.get_absolute_url()}"]'))
        expect(row.locator("td.tracker-table__status")).to_have_text(re.compile(rf"^\s*{shown}"))
