"""axe-core on every main page, at desktop and mobile widths, with screenshots."""

import pytest

from tests.browser.conftest import DESKTOP, MOBILE, assert_accessible
from tests.browser.pages import MAIN_PAGES


@pytest.fixture(autouse=True)
def _error_urls(settings):
    settings.ROOT_URLCONF = "tests.urls"


@pytest.mark.parametrize(("name", "path", "persona", "status"), MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES])
@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["1280", "390"])
def test_main_page_has_no_serious_accessibility_violations(
    request, page, visit, sign_in, name, path, persona, status, viewport
):
    if persona:
        sign_in(request.getfixturevalue(persona))
    page.set_viewport_size(viewport)
    visit(page, path() if callable(path) else path, name=name, expect_status=status)
    assert_accessible(page, name)
    body = page.content()
    assert "Traceback" not in body and "secret stack trace" not in body
