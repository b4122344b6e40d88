"""Dashboards and the printable appendix in a real browser."""

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import MOBILE


def test_dashboard_as_at_and_appendix_to_pdf(page, visit, sign_in, auditor, tmp_path):
    sign_in(auditor)
    visit(page, "/reports/community-planning-update-2016/", name="dashboard")
    expect(page.get_by_role("img", name=re.compile(r"Red 2 \(15%\), Amber 3 \(23%\), Green 5 \(38%\)"))).to_be_visible()

    page.get_by_label("Show the dashboard as at").fill("01/07/2016")  # UK order (#21 item 5)
    page.get_by_role("button", name="Update dashboard").click()
    expect(page).to_have_url(re.compile(r"as_at=01%2F07%2F2016"))
    expect(page.get_by_role("heading", name="Status as at 1 July 2016")).to_be_visible()
    # Inverclyde Alliance's board paper of June 2016 is its response (#19), no one's status.
    expect(page.get_by_role("img", name=re.compile(r"Never assessed 13 \(100%\)"))).to_be_visible()
    visit.screenshot(page, "dashboard-as-at")

    page.get_by_role("link", name="Printable progress appendix").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appendix: progress on implementing recommendations")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in [
        "Appendix: progress on implementing recommendations",
        "Recommendation 1",
        "Recommendation 13",
        "Current rating: Green",
        "Current rating: Amber",
        "Current rating: Red",
        "Current rating: Not rated",
        "establish a national forum",
    ]:
        assert expected in text, expected
    assert "Sign out" not in text and "Rows per page" not in text  # navigation is not printed
    (tmp_path / "appendix.pdf").write_bytes(pdf)
    # A board paper from the browser's own print too: the published appendix ran to about
    # 8 pages; page numbers on each; the last page holds a row, not just a footer.
    pages = PdfReader(io.BytesIO(page.pdf(format="A4"))).pages
    assert len(pages) <= 9, len(pages)
    assert "Current rating" in pages[0].extract_text()  # not a first page ending in a lone header row
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1].extract_text()
    assert "Current rating" in pages[-1].extract_text()


def test_appendix_as_officer_on_a_phone_and_its_pdf(page, visit, sign_in, officer_a):
    sign_in(officer_a)
    visit(page, "/reports/community-planning-update-2016/appendix/", name="appendix-officer")
    coverage = "Recommendations addressed to Inverclyde Alliance or to all CPPs: 3 of 13."
    expect(page.get_by_text(coverage)).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="target their resources on a larger scale")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the appendix as a PDF (A4)").click()
    reader = PdfReader(download.value.path())
    assert "3 of 13" in reader.pages[0].extract_text()
    page.set_viewport_size(MOBILE)
    visit(page, "/reports/community-planning-update-2016/appendix/?as_at=2018-07-31", name="appendix-officer-mobile")
    expect(page.get_by_text("Status as at 31 July 2018")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]


def test_dashboard_on_a_phone(page, visit, sign_in, auditor):
    sign_in(auditor)
    page.set_viewport_size(MOBILE)
    visit(page, "/reports/community-planning-update-2016/", name="dashboard-mobile")
    expect(page.get_by_role("heading", name="Trend")).to_be_visible()
    # Nothing makes the page wider than the phone: wide tables scroll inside themselves.
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]


def test_portfolio_as_at_a_date_and_back(page, visit, sign_in, auditor):
    """The home page as it stood on a day: its totals, its publications (each linking to
    its own dashboard on that day), and the way back to today."""
    sign_in(auditor)
    visit(page, "/", name="portfolio")
    expect(page.get_by_text("50 recommendations in 7 publications. Their current status:")).to_be_visible()

    page.get_by_label("Show the portfolio as at").fill("01/07/2016")
    page.get_by_role("button", name="Show the portfolio").click()
    expect(page).to_have_url(re.compile(r"as_at=01%2F07%2F2016"))
    expect(page.get_by_role("status")).to_contain_text("Showing the portfolio as it stood on 1 July 2016")
    expect(page.get_by_role("columnheader", name="Status as at 1 July 2016")).to_be_visible()
    expect(page.get_by_role("link", name="Improving community planning in Scotland")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Community planning: an update.*impact", re.I))).to_have_count(0)

    page.get_by_role("link", name="Community planning: an update", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/community-planning-update-2016/\?as_at=2016-07-01"))
    expect(page.get_by_role("heading", name="Status as at 1 July 2016")).to_be_visible()

    page.go_back()
    page.get_by_role("link", name="Show it as it is today").click()
    expect(page.get_by_text("Their current status:")).to_be_visible()
