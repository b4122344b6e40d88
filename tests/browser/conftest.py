"""Browser harness: Playwright driving Debian's Chromium against pytest-django's live server.

- Never downloads a browser: Chromium comes from the Debian package (/usr/bin/chromium,
  or CHROMIUM_PATH). Without it the browser tests are skipped, except under CI=true
  where they fail.
- `visit(page, path)` navigates and saves a screenshot under test-artifacts/screenshots/.
- `assert_accessible(page)` runs the vendored axe-core and fails on serious or
  critical violations.
"""

import json
import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made
# by fixtures from the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; install Debian's chromium package"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: browser tests may not be skipped)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(autouse=True)
def _seeded_for_browser(transactional_db):
    """Browser tests talk to a live server thread, so their data is committed, then
    flushed (which also removes what data migrations made: seed() restores the
    audit dimensions it needs, and personas get-or-create their role group)."""
    from recommendations.seeding import seed

    seed()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


@pytest.fixture
def visit(request):
    """Navigate and save a screenshot named after the test, the page and the width."""

    def _visit(page, path: str, name: str | None = None, expect_status: int = 200):
        response = page.goto(path)
        assert response is not None
        assert response.status == expect_status, f"{path}: HTTP {response.status}"
        screenshot(page, name or path)
        return response

    def screenshot(page, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        filename = f"{_slug(request.node.name)}--{_slug(name) or 'home'}--{width}.png"
        page.screenshot(path=str(ARTIFACTS / filename), full_page=True)

    _visit.screenshot = screenshot
    return _visit


def assert_accessible(page, label: str = "") -> None:
    """No serious or critical axe-core violations (WCAG 2.2 A/AA rules and best practice)."""
    page.evaluate(AXE_SOURCE)
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag',
                          values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    bad = [v for v in results if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe violations on {label or page.url}:\n{json.dumps(bad, indent=2)}"


@pytest.fixture
def sign_in(context, live_server, django_user_model):
    """Sign a persona in by putting a real session cookie into the browser."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    def _sign_in(user):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session.session_key,
                    "url": live_server.url,
                }
            ]
        )
        return user

    return _sign_in
