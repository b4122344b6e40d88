"""A recommendation's life in a real browser (#20), keyboard only and axe-clean: an auditor
closes a 2013 recommendation as superseded by a 2016 one, sees it leave the open counts and
appear in the chain; an officer records their organisation's acceptance."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from recommendations.management.commands.demo_users import DEMO_PASSWORD
from recommendations.models import Recommendation
from tests.browser.conftest import assert_accessible


@pytest.fixture
def demo_users():
    call_command("demo_users", "--force", verbosity=0)


def _tab_until(page, condition: str, limit: int = 300):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {condition}"):
            return
    raise AssertionError(f"Tab never reached: {condition}")


def _sign_in(page, username):
    page.goto("/accounts/login/")
    _tab_until(page, "document.activeElement.id === 'id_username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")


def _open_count(page) -> int:
    text = page.locator("#open-closed + .tracker-prose").inner_text()
    return int(re.match(r"(\d+) open", text).group(1))


def test_an_auditor_closes_a_2013_recommendation_as_superseded_by_a_2016_one(page, live_server, demo_users):
    rec = Recommendation.objects.get(report__slug="improving-community-planning-2013", number=4)
    _sign_in(page, "auditor")
    before = _open_count(page)
    page.goto(rec.get_absolute_url())
    _tab_until(page, "document.activeElement.id === 'id_closure-action_0'")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Close it")).to_be_checked()
    _tab_until(page, "document.activeElement.id === 'id_closure-reason'")
    page.keyboard.type("Superseded")
    expect(page.locator("#id_closure-reason")).to_have_value("superseded")
    _tab_until(page, "document.activeElement.id === 'id_closure-superseded_by'")
    page.keyboard.type("Community planning: an update (2016), recommendation 1")
    later = Recommendation.objects.get(report__slug="community-planning-update-2016", number=1)
    expect(page.locator("#id_closure-superseded_by")).to_have_value(str(later.pk))
    _tab_until(page, "document.activeElement.id === 'id_closure-effective_on'")
    page.keyboard.type("03/03/2016")
    _tab_until(page, "document.activeElement.id === 'id_closure-note'")
    page.keyboard.type("The 2016 report asks for this again, more specifically.")
    _tab_until(page, "(document.activeElement.innerText || '').trim() === 'Save'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Recommendation closed (Superseded).")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Closed: Superseded"))).to_be_visible()
    assert_accessible(page, "a closed recommendation")

    page.goto("/")
    assert _open_count(page) == before - 1
    assert_accessible(page, "portfolio with implementation over time")

    page.goto("/recommendations/repeated/")
    chain = page.locator("section.tracker-chain", has_text="Improving community planning (2013), recommendation 4")
    expect(chain).to_contain_text("Supersedes Improving community planning (2013), recommendation 4")
    expect(chain).to_contain_text("Closed: Superseded")
    assert_accessible(page, "repeated recommendations")


def test_an_officer_records_their_organisations_acceptance(page, live_server, demo_users):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=12)
    _sign_in(page, "officer-inverclyde")
    page.goto(rec.get_absolute_url())
    _tab_until(page, "document.activeElement.id === 'id_acceptance-decision_0'")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Accepted", exact=True)).to_be_checked()
    _tab_until(page, "document.activeElement.id === 'id_acceptance-responded_on'")
    page.keyboard.type("13/06/2016")
    _tab_until(page, "document.activeElement.id === 'id_acceptance-text'")
    page.keyboard.type("The Alliance Board accepts this recommendation.")
    _tab_until(page, "(document.activeElement.innerText || '').trim() === 'Record acceptance'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Response recorded: Accepted by Inverclyde Alliance.")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("The Alliance Board accepts this recommendation.")
    assert_accessible(page, "a recorded acceptance")
