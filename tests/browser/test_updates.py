"""The auditor's RAG update and the officer's limited view, in a real browser, as the demo users."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from recommendations.management.commands.demo_users import DEMO_PASSWORD
from recommendations.models import Recommendation, Status
from tests.browser.conftest import assert_accessible
from tests.factories import add_update

R2016 = "/reports/community-planning-update-2016/"


@pytest.fixture
def demo_users():
    call_command("demo_users", "--force", verbosity=0)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")


def _amber_count(page) -> int:
    label = page.get_by_role("img", name=re.compile(r"Status of this report")).get_attribute("aria-label")
    return int(re.search(r"Amber (\d+)", label).group(1))


def test_auditor_moves_a_recommendation_from_amber_to_green(page, visit, demo_users):
    _sign_in(page, "auditor")
    visit(page, R2016, name="dashboard-before")
    assert _amber_count(page) == 3

    visit(page, "/recommendations/?status=amber&report=community-planning-update-2016", name="amber")
    expect(page.get_by_role("heading", name="3 recommendations")).to_be_visible()
    page.locator("#recommendations-table td.tracker-table__ref a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Recommendation \d+$"))

    page.locator("label", has_text=re.compile(r"^Green$")).click()
    page.get_by_label("Summary of progress").fill("Milestones published and agreed with partners.")
    page.get_by_label("Evidence references (optional)").fill("Paragraph 12, page 4")
    page.get_by_role("button", name="Record update").click()
    expect(page.get_by_text(re.compile(r"Progress update recorded .*Current status: Amber → Green"))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Paragraph 12, page 4")
    visit.screenshot(page, "recorded")

    page.get_by_role("link", name="Community planning: an update", exact=True).first.click()
    assert _amber_count(page) == 2
    label = page.get_by_role("img", name=re.compile(r"Status of this report")).get_attribute("aria-label")
    assert "Green 6" in label


def test_validation_errors_are_summarised_and_nothing_is_saved(page, visit, demo_users):
    _sign_in(page, "auditor")
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=8)
    visit(page, rec.get_absolute_url(), name="form")
    page.get_by_role("button", name="Record update").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Choose a rating")
    expect(summary).to_contain_text("Summarise the progress found")
    expect(summary).to_be_focused()
    visit.screenshot(page, "form-errors")
    assert_accessible(page, "update form with errors")
    assert rec.updates.count() == 1


def test_auditor_records_an_update_with_the_keyboard_alone(page, live_server, demo_users):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # service name
    while page.evaluate("document.activeElement.id") != "id_username":
        page.keyboard.press("Tab")
    page.keyboard.type("auditor")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")

    # Filter the table to Amber, then open the first recommendation: keyboard only.
    _tab_until(
        page, "document.activeElement.closest('header') && document.activeElement.innerText === 'Recommendations'"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="50 recommendations")).to_be_visible()
    # Past the report and organisation checkbox lists (tests/browser/test_filters.py filters those by typing).
    _tab_until(page, "document.activeElement.name === 'status' && document.activeElement.value === 'amber'", limit=150)
    page.keyboard.press("Space")
    _tab_until(page, "(document.activeElement.innerText || '').trim() === 'Apply filters'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="3 recommendations")).to_be_visible()
    # The filter panel's "Skip to results" link is the way past its checkbox lists.
    _tab_until(page, "(document.activeElement.innerText || '').trim() === 'Skip to results'")
    page.keyboard.press("Enter")
    _tab_until(page, "!!document.activeElement.closest('td.tracker-table__ref')", limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Recommendation \d+$"))
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "rag":
            break
    # Radio group: arrow keys move between ratings (Red, Amber, Green, Not rated).
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Green")).to_be_checked()
    _tab_until(page, "document.activeElement.id === 'id_summary'")  # past the date (today, dd/mm/yyyy)
    page.keyboard.type("Leaders report autonomy is recognised.")
    _tab_until(page, "document.activeElement.id === 'id_evidence'")
    page.keyboard.type("Page 3")
    _tab_until(page, "(document.activeElement.innerText || '').trim() === 'Record update'")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Current status: Amber → Green"))).to_be_visible()
    # On to the report's dashboard (its breadcrumb), where Amber is now 2 and Green 6.
    page.goto(page.url)  # start tabbing from the top of the page
    in_breadcrumbs = "!!document.activeElement.closest('.ds_breadcrumbs')"
    _tab_until(
        page, f"{in_breadcrumbs} && document.activeElement.innerText.startsWith('Community planning: an update')"
    )
    page.keyboard.press("Enter")
    assert _amber_count(page) == 2


def _tab_until(page, condition: str, limit: int = 40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {condition}"):
            return
    raise AssertionError(f"Tab never reached: {condition}")


def test_inverclyde_officer_sees_only_their_recommendations(page, visit, demo_users):
    _sign_in(page, "officer-inverclyde")
    sg_only = Recommendation.objects.get(report__slug="community-planning-update-2016", number=8)
    cpp = Recommendation.objects.get(report__slug="community-planning-update-2016", number=11)
    visit(page, cpp.get_absolute_url(), name="officer-detail")
    expect(page.get_by_role("heading", name="Record a progress update")).to_have_count(0)
    visit(page, sg_only.get_absolute_url(), name="officer-404", expect_status=404)

    visit(page, "/my/", name="my-recommendations")
    expected = Recommendation.objects.filter(
        owners__slug__in=["inverclyde-alliance", "community-planning-partnerships"]
    ).distinct()
    expect(page.get_by_role("heading", name=f"{expected.count()} recommendations")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) - 1 == expected.count()
    assert all("Community Planning Partnerships" in r[4] or "Inverclyde Alliance" in r[4] for r in rows[1:])
    assert not any(r[4] == "Scottish Government" for r in rows[1:])


def test_a_stale_form_is_warned_at_the_top_of_the_page_until_the_auditor_confirms(page, visit, demo_users):
    _sign_in(page, "auditor")
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=8)
    visit(page, rec.get_absolute_url(), name="form-opened")
    # A colleague records an update while this auditor fills the form in.
    newer = add_update(rec, rag=Status.RED, summary="A colleague's newer assessment.", on=datetime.date(2019, 1, 1))
    count = rec.updates.count()

    page.locator("label", has_text=re.compile(r"^Green$")).click()
    page.get_by_label("Summary of progress").fill("Milestones published and agreed with partners.")
    page.get_by_role("button", name="Record update").click()

    warning = page.locator("#stale-warning")
    expect(warning).to_contain_text("Your update has not been saved")
    expect(warning).to_be_focused()
    assert page.url.endswith(rec.get_absolute_url())  # the address left in the bar is the recommendation's
    # At the top of the main content: first in it, and in the first screenful of the page.
    first = page.evaluate("document.querySelector('.ds_layout__content').firstElementChild.id")
    assert first == "stale-warning"
    assert page.evaluate("document.querySelector('#stale-warning').getBoundingClientRect().top + window.scrollY") < (
        page.viewport_size["height"] / 2
    )
    expect(warning.get_by_role("link", name=re.compile(r"1 January 2019: Red"))).to_have_attribute(
        "href", f"#update-{newer.pk}"
    )
    visit.screenshot(page, "stale-warning")
    assert_accessible(page, "stale-form warning")
    assert rec.updates.count() == count

    # Pressing the button again without ticking the box saves nothing.
    page.get_by_role("button", name="Record update").click()
    expect(page.locator("#stale-warning")).to_be_focused()
    assert rec.updates.count() == count

    page.locator("label", has_text="Record my update anyway").click()  # the SGDS checkbox: its label takes the click
    expect(page.get_by_label("Record my update anyway")).to_be_checked()
    page.get_by_role("button", name="Record update").click()
    expect(page.get_by_text(re.compile(r"Progress update recorded"))).to_be_visible()
    assert rec.updates.count() == count + 1
