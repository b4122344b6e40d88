"""Sign in, find your way by the header, sign out: with the mouse and with the keyboard alone."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def _header_link(page, name):
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True).first


def test_sign_in_navigate_and_sign_out(page, live_server, visit, auditor):
    visit(page, "/", name="redirected-to-sign-in")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(auditor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Portfolio")
    expect(page.get_by_role("main")).to_contain_text("Community planning: an update")
    visit.screenshot(page, "portfolio")

    _header_link(page, "Publications").click()
    expect(page).to_have_url(f"{live_server.url}/reports/")
    expect(page).to_have_title(re.compile(r"^Publications .*Recommendation Tracker$"))

    page.get_by_role("main").get_by_role("link", name="Community planning: an update", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Community planning: an update")
    expect(page.get_by_role("main")).to_contain_text("establish a national forum")
    visit.screenshot(page, "publication")

    _header_link(page, "Portfolio").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.get_by_role("banner").get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    # The session is gone: the portfolio asks for sign-in again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_wrong_password_gives_one_generic_message(page, visit, auditor):
    visit(page, "/accounts/login/", name="sign-in")
    page.get_by_label("Username").fill(auditor.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("username and password")
    visit.screenshot(page, "sign-in-error")
    page.get_by_label("Username").fill("nobody-by-this-name")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("username and password")


def _tab_to(page, predicate, limit=60):
    """Press Tab until the focused element satisfies predicate(info); return info."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const e = document.activeElement;
                       return {tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim(),
                               id: e.id, href: e.getAttribute('href'), type: e.type,
                               inHeader: !!e.closest('header')}; }"""
        )
        if predicate(info):
            return info
    raise AssertionError("Could not reach the element with the keyboard")


def test_keyboard_only_journey(page, live_server, visit, auditor):
    visit(page, "/accounts/login/", name="sign-in")
    first = _tab_to(page, lambda i: True)
    assert "skip to main content" in first["text"].lower(), "the skip link must be the first stop"

    _tab_to(page, lambda i: i["id"] == "id_username")
    page.keyboard.type(auditor.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")

    # Skip link moves focus to the main content.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))

    page.goto("/")
    _tab_to(page, lambda i: i["inHeader"] and i["text"] == "Publications")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/reports/")
    visit.screenshot(page, "reports-by-keyboard")

    _tab_to(page, lambda i: not i["inHeader"] and i["text"] == "Community planning: an update")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Community planning")

    _tab_to(page, lambda i: i["inHeader"] and i["text"] == "Sign out")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
