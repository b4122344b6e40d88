"""What a browser receives in production: security headers, a Content-Security-Policy
that no template breaks, https only, error pages without stack traces, and an audit
log of sign-ins, failures, lockouts, 403s and progress updates."""

import datetime
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from recommendations.models import Recommendation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
YEAR = 365 * 24 * 60 * 60


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_production_headers_on_a_signed_in_page_over_https(auditor_client):
    response = auditor_client.get(reverse("recommendations:list"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/no-such-page/"])
def test_every_kind_of_page_carries_the_policy(client, path):
    response = client.get(path, secure=True)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_plain_http_is_redirected_to_https_except_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # the production default (tests/conftest.py turns it off)
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200  # load balancers probe over http


def test_session_lasts_at_most_twelve_hours_and_cookies_are_locked_down(client, auditor):
    assert django_settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    response = client.post(reverse("login"), {"username": auditor.username, "password": PASSWORD}, secure=True)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


class _InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline <script> bodies,
    <style> elements, style="" and on*="" attributes, and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in attrs and attrs.get("type") not in ("application/json",)
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]}")


def _inline_code(html: str) -> list[str]:
    parser = _InlineCode()
    parser.feed(html)
    return parser.found


def test_no_template_has_inline_script_or_style():
    """Checked at the source, so a page no test visits cannot break the policy either."""
    offenders = {}
    for template in sorted((ROOT / "templates").rglob("*.html")):
        source = template.read_text(encoding="utf-8")
        source = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", source, flags=re.S)  # template syntax out
        if found := _inline_code(source):
            offenders[str(template.relative_to(ROOT))] = found
    assert not offenders


def _pages() -> list[str]:
    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016").first()
    return [
        "/",
        "/reports/",
        "/reports/community-planning-update-2016/",
        "/reports/community-planning-update-2016/appendix/",
        "/recommendations/",
        f"/recommendations/{rec.pk}/",
        "/owners/",
        "/owners/inverclyde-alliance/",
        "/my/",
        "/accounts/password_change/",
    ]


def test_rendered_pages_have_no_inline_script_or_style(auditor, seeded):
    client = Client()
    client.force_login(auditor)
    for path in _pages():
        response = client.get(path)
        assert response.status_code == 200, path
        assert _inline_code(response.content.decode()) == [], path


ADMIN_PAGES = [
    "/admin/",
    "/admin/reports/report/",
    "/admin/reports/report/add/",
    "/admin/recommendations/recommendation/",
    "/admin/recommendations/recommendation/add/",
    "/admin/recommendations/owner/add/",
    "/admin/recommendations/progressupdate/add/",
    "/admin/auth/user/",
]


def test_admin_pages_run_no_inline_script(admin_client_, seeded):
    """The admin passes data to its scripts in data- attributes and JSON blocks, which a
    strict script-src allows (a JSON block is never executed)."""
    for path in ADMIN_PAGES:
        response = admin_client_.get(path)
        assert response.status_code == 200, path
        scripts = [f for f in _inline_code(response.content.decode()) if f.startswith(("inline script", "<script on"))]
        assert scripts == [], path


def test_error_pages_use_the_site_design_and_leak_no_stack_trace(settings, client, auditor):
    settings.ROOT_URLCONF = "tests.urls"
    client.force_login(auditor)
    client.raise_request_exception = False
    for path, status, words in [
        ("/__test__/400/", 400, "Sorry"),
        ("/__test__/403/", 403, "You cannot see this page"),
        ("/no-such-page/", 404, "Page not found"),
        ("/__test__/500/", 500, "Sorry, there is a problem with the service"),
    ]:
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == status, path
        assert "Recommendation Tracker" in page, path
        assert words.lower() in page.lower(), path
        for leak in ("Traceback", "secret stack trace", "SuspiciousOperation", "RuntimeError", "settings.py"):
            assert leak not in page, (path, leak)


# --- The audit log -------------------------------------------------------------


def _audit_lines(caplog) -> list[str]:
    """The audit events as the production formatter writes them."""
    from tracker.logfmt import KeyValueFormatter

    formatter = KeyValueFormatter()
    return [formatter.format(r) for r in caplog.records if r.name == "tracker.audit"]


def test_sign_in_failure_and_sign_out_are_logged_without_the_password(client, auditor, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        client.post(reverse("login"), {"username": auditor.username, "password": "wrong-password"})
        client.post(reverse("login"), {"username": auditor.username, "password": PASSWORD})
        client.post(reverse("logout"))
    lines = _audit_lines(caplog)
    assert [re.search(r"event=(\S+)", line).group(1) for line in lines] == ["sign_in_failed", "sign_in", "sign_out"]
    assert all("user=auditor ip=127.0.0.1" in line for line in lines)
    assert all(re.match(r"time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line) for line in lines)
    assert "wrong-password" not in caplog.text and PASSWORD not in caplog.text


def test_a_username_cannot_forge_a_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        client.post(reverse("login"), {"username": "x\nevent=sign_in user=admin", "password": "nope"})
    (line,) = _audit_lines(caplog)
    assert "\n" not in line
    assert 'user="x\\nevent=sign_in user=admin"' in line


def test_forbidden_responses_are_logged(client, officer_a, caplog):
    client.force_login(officer_a)
    rec = Recommendation.objects.addressed_to(officer_a.organisations.all().ids_with_all_cpps()).first()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        response = client.post(reverse("recommendations:add_update", args=[rec.pk]), {"summary": "x"})
    assert response.status_code == 403
    (line,) = _audit_lines(caplog)
    assert "event=forbidden user=officer-a" in line
    assert f"method=POST path=/recommendations/{rec.pk}/updates/" in line


def test_csrf_failures_are_logged_as_forbidden(auditor, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditor)
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        assert client.post(reverse("logout")).status_code == 403
    assert any("event=forbidden user=auditor" in line for line in _audit_lines(caplog))


def test_every_progress_update_is_logged_once_committed(
    auditor_client, seeded, caplog, django_capture_on_commit_callbacks
):
    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016").first()
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        with django_capture_on_commit_callbacks(execute=True):
            response = auditor_client.post(
                reverse("recommendations:add_update", args=[rec.pk]),
                {"rag": 3, "assessed_on": datetime.date.today().isoformat(), "summary": "Done.", "seen_latest": 10**9},
            )
    assert response.status_code == 302
    update = rec.updates.get(author__username="auditor")
    (line,) = [line for line in _audit_lines(caplog) if "event=progress_update" in line]
    assert f"user=auditor recommendation={rec.pk} update={update.pk} rag=Green" in line


def _no_store(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


def test_every_page_and_export_for_a_signed_in_user_is_private_and_not_stored(officer_b, seeded):
    """What a signed-in user sees is theirs: no shared cache or browser back-button store
    keeps it after they sign out (issue #17). Every named URL, whatever its status."""
    from tests.test_access_matrix import MATRIX

    client = Client(raise_request_exception=False)
    client.force_login(officer_b)
    urls = [reverse(name, kwargs=kwargs()) for name, (kwargs, _) in MATRIX.items() if name != "logout"]
    urls += [f"/recommendations/?_export={fmt}" for fmt in ("csv", "xlsx", "json")]
    urls += ["/my/?_export=csv", "/owners/cosla/?_export=xlsx", "/reports/community-planning-update-2016/?_export=csv"]
    urls += ["/recommendations/?page=-1", "/recommendations/?year_from=0", "/no-such-page/"]
    for url in urls:
        response = client.get(url)
        assert _no_store(response), (url, response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize("path", ["/accounts/login/", "/recommendations/"])
def test_a_response_that_varies_by_visitor_is_not_stored_even_signed_out(client, path):
    """The sign-in form carries a CSRF token made for this visitor; a page's redirect to
    sign in depends on the session cookie sent."""
    response = client.get(path)
    assert "Cookie" in response.get("Vary", "")
    assert _no_store(response)
