"""The recommendations table's filters in a real browser (#18, #21 items 4 and 5): the
SGDS search-results layout (results beside the filters, the filters in force above them,
each removable), the long lists as checkboxes with a type-to-filter box used by keyboard
alone, and dates typed the UK way."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, assert_accessible

URL = "/recommendations/"


def _tab_until(page, condition: str, limit: int = 200) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return {condition}; }}"):
            return
    raise AssertionError(f"never reached: {condition}")


def test_addressed_to_by_keyboard_type_to_filter_check_apply_and_remove(page, live_server, visit, sign_in, auditor):
    sign_in(auditor)
    visit(page, URL, name="table")
    # Never a native multi-select box: the long lists are checkboxes.
    expect(page.locator("select[multiple]")).to_have_count(0)
    owners = page.locator('[data-tracker-choice-list][data-label="Addressed to"]')
    expect(owners.locator(".tracker-choice-list__count")).to_have_text("0 selected")
    total = owners.locator('input[type="checkbox"]').count()
    assert total > 40  # 32 CPPs, the Scottish Government, COSLA ...

    # Keyboard alone: Tab to the list's search box, type, and only matching names remain.
    _tab_until(page, "el.getAttribute('aria-label') === null && el.labels && el.labels[0] && "
                     "el.labels[0].textContent.includes('Find in the list “Addressed to”')")  # fmt: skip
    page.keyboard.type("inverc")
    shown = owners.locator(".ds_checkbox:visible")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("Inverclyde")
    expect(owners.locator(".tracker-choice-list__count")).to_have_text(f"0 selected; 1 of {total} shown")
    page.keyboard.press("Enter")  # looks through the list; does not submit
    expect(page).to_have_url(f"{live_server.url}{URL}")

    # The next Tab stop is the one option shown; Space selects it, and the count says so.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "owner"
    page.keyboard.press("Space")
    expect(owners.locator(".tracker-choice-list__count")).to_have_text(f"1 selected; 1 of {total} shown")
    # Escape in the box brings every option back, the choice kept.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Escape")
    expect(owners.locator(".ds_checkbox:visible")).to_have_count(total)
    expect(owners.locator(".tracker-choice-list__count")).to_have_text("1 selected")
    assert_accessible(page, "filters with the type-to-filter box")

    _tab_until(page, "(el.innerText || '').trim() === 'Apply filters'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"owner=inverclyde"))
    visit.screenshot(page, "filtered-by-keyboard")

    # The filter in force is listed above the results, and one link removes it.
    facets = page.locator(".ds_facets")
    expect(facets).to_contain_text("Addressed to:")
    expect(facets).to_contain_text("Inverclyde")
    assert_accessible(page, "filtered, with the selected filters")
    filtered = page.get_by_role("heading", name=re.compile(r"^\d+ recommendations?$")).inner_text()
    _tab_until(page, "(el.innerText || '').includes('Remove “Inverclyde')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}{URL}")
    expect(page.get_by_role("heading", name="50 recommendations")).to_be_visible()
    assert filtered != "50 recommendations"
    expect(page.locator(".ds_facets")).to_have_count(0)


def test_results_beside_the_filters_first_rows_in_the_first_screen(page, visit, sign_in, auditor):
    """At 1280 px the filters are a sidebar, the results beside them, and the first rows of
    the table are on the first screen (they were about 1,500 px down under the filter panel)."""
    sign_in(auditor)
    visit(page, f"{URL}?status=amber&status=red&year_from=2013", name="table-desktop-layout")
    filters = page.locator(".tracker-filters").bounding_box()
    results = page.locator("#results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"], (filters, results)  # side by side
    first_row = page.locator("#recommendations-table tbody tr").first.bounding_box()
    assert first_row["y"] + 100 <= DESKTOP["height"], first_row  # its number and first lines in view
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    # The filters in force, each with its own removal link, and "Clear all filters".
    facets = page.locator(".ds_facets")
    expect(facets.locator(".ds_facet")).to_have_text([re.compile(f"^{v}Remove") for v in ("2013", "Amber", "Red")])
    href = facets.get_by_role("link", name=re.compile("Remove “Red”")).get_attribute("href")
    assert "status=amber" in href and "status=red" not in href and "year_from=2013" in href
    expect(facets.get_by_role("link", name="Clear all filters")).to_have_attribute("href", URL)
    # The recommendation's text is text to read: its only link is on its number.
    text_cell = page.locator("#recommendations-table tbody tr").first.locator("td.tracker-table__text")
    expect(text_cell.locator("a")).to_have_count(0)
    # At least 14rem beside the filters; wider needs fewer table columns (recommendations/tables.py).
    assert text_cell.bounding_box()["width"] >= 14 * 16 - 1
    # The whole table fits its column: nothing scrolls sideways, the status column included.
    wrapper = page.locator(".tracker-table-wrapper")
    assert wrapper.evaluate("w => w.scrollWidth <= w.clientWidth")


def test_on_a_phone_filters_fold_and_status_is_visible_without_scrolling_sideways(page, visit, sign_in, auditor):
    sign_in(auditor)
    page.set_viewport_size({"width": 375, "height": 812})
    visit(page, f"{URL}?owner=cosla&owner=inverclyde-alliance&status=amber", name="table-phone-filters")
    # The filter panel is folded away; the filters in force and the results follow it.
    expect(page.locator(".tracker-filters details")).not_to_have_attribute("open", "")
    expect(page.get_by_role("checkbox", name="COSLA")).to_be_hidden()
    expect(page.locator(".ds_facets")).to_be_visible()
    status = page.locator("#recommendations-table tbody tr").first.locator("td.tracker-table__status .tracker-rag")
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Opened, the panel's long lists fit the phone too.
    page.locator(".tracker-filters summary").click()
    expect(page.get_by_label("Find in the list “Addressed to”")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    visit.screenshot(page, "table-phone-filters-open")
    assert_accessible(page, "phone, filters open")


def test_a_date_is_typed_the_uk_way_and_an_impossible_one_is_refused(page, visit, sign_in, auditor):
    sign_in(auditor)
    visit(page, URL, name="table")
    date = page.get_by_label("Not assessed since")
    assert date.get_attribute("type") == "text"
    expect(page.locator("#id_not_assessed_since_helptext")).to_contain_text("For example, 31/03/2018.")
    date.fill("31/02/2018")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".ds_error-summary")).to_contain_text(
        "31/02/2018 is not a real date: February 2018 has 28 days."
    )
    expect(page.locator("#id_not_assessed_since_error")).to_be_visible()
    page.get_by_label("Not assessed since").fill("01/01/2018")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="37 recommendations")).to_be_visible()
    expect(page.locator(".ds_facets")).to_contain_text("01/01/2018")
    # A shared ISO link still works, and shows the date the UK way.
    visit(page, f"{URL}?not_assessed_since=2018-01-01", name="iso-link")
    expect(page.get_by_role("heading", name="37 recommendations")).to_be_visible()
    expect(page.get_by_label("Not assessed since")).to_have_value("01/01/2018")
