"""The privacy notice (/privacy/) and README's "Data we keep and for how long" say what
the settings do: the retention periods they state are the settings' defaults."""

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIGN_IN_DAYS = 90  # the default (#22); settings must keep it unless overridden


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Data we keep and for how long")
    return text[start : text.index("\n## ", start + 1)]


def readme_row(section: str, starts: str) -> str:
    return next(line for line in section.splitlines() if line.startswith(f"| {starts}"))


def test_the_settings_defaults_are_the_documented_ones(settings):
    assert settings.TRACKER_RETENTION_SIGN_IN_DAYS == DEFAULT_SIGN_IN_DAYS
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60


def test_readme_states_the_settings_defaults(settings):
    section = readme_section()
    assert f"| {settings.TRACKER_RETENTION_SIGN_IN_DAYS} days |" in readme_row(section, "Sign-in records")
    assert f"{settings.SESSION_COOKIE_AGE // 3600} hours" in readme_row(section, "Sessions")
    assert f"| {settings.TRACKER_RETENTION_SIGN_IN_DAYS} days (journald" in readme_row(section, "Server logs")
    assert "never changed or removed" in readme_row(section, "Progress updates")
    assert f"| `TRACKER_RETENTION_SIGN_IN_DAYS` | `{settings.TRACKER_RETENTION_SIGN_IN_DAYS}` |" in section


def test_the_deployed_log_retention_matches(settings):
    conf = (ROOT / "deploy" / "journald" / "tracker.conf").read_text()
    assert re.search(rf"^MaxRetentionSec={settings.TRACKER_RETENTION_SIGN_IN_DAYS}day$", conf, re.M)


def _cells(page: str, key: str) -> str:
    match = re.search(rf'<td data-retention="{key}">(.*?)</td>', page, re.S)
    assert match, key
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("persona", [None, "officer_a"])
def test_the_privacy_notice_states_the_settings_values_to_everyone(persona, request, django_assert_max_num_queries):
    client = Client()
    if persona:
        client.force_login(request.getfixturevalue(persona))
    with django_assert_max_num_queries(4):
        response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="ds_page-header__title">Privacy notice</h1>' in page
    assert _cells(page, "sign-in") == "90 days, then deleted automatically"
    assert _cells(page, "session").startswith("Until you sign out or after 12 hours")
    assert _cells(page, "audit-trail").startswith("Kept for as long as the tracker runs")
    assert _cells(page, "logs").startswith("90 days")
    assert "contact the tracker&#x27;s administrator" in page  # the setting, escaped


def test_the_privacy_notice_follows_the_settings(settings, client):
    settings.TRACKER_RETENTION_SIGN_IN_DAYS = 30
    settings.TRACKER_PRIVACY_CONTACT = "the data protection officer <dpo@example.gov.scot>"
    page = client.get("/privacy/").content.decode()
    assert _cells(page, "sign-in") == "30 days, then deleted automatically"
    assert "the data protection officer &lt;dpo@example.gov.scot&gt;" in page  # escaped


@pytest.mark.parametrize("path", ["/accounts/login/", "/reports/"])
def test_every_page_links_to_it_from_the_footer(path, auditor_client):
    page = auditor_client.get(path).content.decode()
    footer = page[page.index('<footer class="ds_site-footer">') :]
    assert '<a href="/privacy/">Privacy notice</a>' in footer
