"""The recommendations table in a real browser: filter, sort, page, open, download."""

import csv
import io
import re

from playwright.sync_api import expect

from recommendations.exports import HEADERS


def _open_filters(page):
    summary = page.locator(".tracker-filters summary")
    if summary.is_visible() and page.locator(".tracker-filters details").get_attribute("open") is None:
        summary.click()


def test_filter_sort_page_open_and_download(page, live_server, visit, sign_in, auditor):
    sign_in(auditor)
    visit(page, "/recommendations/", name="table")
    expect(page.get_by_role("heading", name="50 recommendations")).to_be_visible()

    # Filter to COSLA + Amber.
    _open_filters(page)
    page.locator('.tracker-filters input[name="owner"][value="cosla"] + label').click()
    expect(page.locator('.tracker-filters input[name="owner"][value="cosla"]')).to_be_checked()
    page.locator(".tracker-filters label", has_text=re.compile(r"^Amber$")).click()
    expect(page.get_by_role("checkbox", name="Amber")).to_be_checked()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"owner=cosla"))
    expect(page).to_have_url(re.compile(r"status=amber"))
    expect(page.get_by_role("heading", name="1 recommendation", exact=True)).to_be_visible()
    visit.screenshot(page, "filtered")

    # Download exactly that set as CSV.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0] == HEADERS
    assert len(rows) == 2 and rows[1][6] == "Amber" and "route map" in rows[1][3]

    # Clear, then sort by status: most severe first.
    page.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_role("heading", name="50 recommendations")).to_be_visible()
    table = page.locator("#recommendations-table")
    table.get_by_role("link", name=re.compile(r"^Status")).click()
    expect(page).to_have_url(re.compile(r"sort=status"))
    expect(table.locator("th[aria-sort=ascending]")).to_contain_text("Status")
    expect(table.locator("tbody tr").first.locator(".tracker-rag")).to_have_text("Red")
    visit.screenshot(page, "sorted-by-status")

    # Next page keeps the sort.
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page).to_have_url(re.compile(r"sort=status"))
    expect(table.locator("tbody tr").first.locator(".tracker-rag")).to_have_text(re.compile("Not rated|Never assessed"))

    # Open a recommendation.
    first = table.locator("tbody tr").first.locator("td.tracker-table__ref a")
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Recommendation \d+$"))
    expect(page.get_by_role("heading", name="Progress history")).to_be_visible()
    visit.screenshot(page, "detail")


def _first_status_cell(page):
    return page.locator("#recommendations-table tbody tr").first.locator("td.tracker-table__status")


def test_on_a_phone_each_row_is_a_box_and_its_status_is_in_view(page, visit, sign_in, auditor):
    """At 375 px the table is SGDS's "boxes" layout: each row a box of labelled cells, the
    status visible without scrolling sideways."""
    sign_in(auditor)
    page.set_viewport_size({"width": 375, "height": 812})
    visit(page, "/recommendations/", name="table-phone")
    status = _first_status_cell(page)
    expect(status.locator(".tracker-rag")).to_be_visible()
    for box in (status.bounding_box(), status.locator(".tracker-rag").bounding_box()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Each row a box, each cell labelled with its column's header (not the header's sort hint).
    row = page.locator("#recommendations-table tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    assert status.evaluate("td => getComputedStyle(td, '::before').content") == '"Status"'


def test_on_a_desktop_the_table_is_a_table(page, visit, sign_in, auditor):
    sign_in(auditor)
    visit(page, "/recommendations/", name="table-desktop")
    table = page.locator("#recommendations-table")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert table.locator("tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    expect(table.locator("thead th").first).to_be_visible()
    header, status = table.locator("thead th").nth(5).bounding_box(), _first_status_cell(page).bounding_box()
    assert abs(header["x"] - status["x"]) < 1  # the status under its own header
