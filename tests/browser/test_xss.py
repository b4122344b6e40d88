"""Cross-site scripting in a real browser: with every payload of tests/xss_payloads.py
stored in every free-text field, Chromium opens each page that shows them, as an
auditor and as an admin, and no alert/confirm/prompt dialog ever fires — nor does
the Content-Security-Policy have to block anything, which would mean an injected
script got as far as the page.

The values are written straight into the database (not through a form), the
harshest case: whatever road a value arrived by, the page must not run it.
"""

import datetime

import pytest

from recommendations.models import Owner, ProgressUpdate, Recommendation
from reports.models import Publisher, Report
from tests.conftest import _make_user
from tests.xss_payloads import PAYLOADS
from tracker.roles import ADMIN, AUDITOR

# Collected in the page before any of its own scripts run (init scripts bypass the CSP).
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""


def _plant_every_payload():
    """One publisher, report, owner, recommendation and two updates per payload, every
    free-text field holding it; plus one report holding all the recommendations' kin."""
    reports, recommendations, owners = [], [], []
    for n, payload in enumerate(PAYLOADS):
        text = f"XSS{n:02d} {payload}"
        publisher = Publisher.objects.create(name=text[:200])
        report = Report.objects.create(
            title=text[:300],
            short_title=text[:120],
            slug=f"xss-report-{n}",
            kind=Report.Kind.PERFORMANCE_AUDIT,
            published=datetime.date(2020, 1, 1),
            summary=text,
        )
        report.publishers.set([publisher])
        owner = Owner.objects.create(
            name=text[:200],
            slug=f"xss-owner-{n}",
            kind=Owner.Kind.OTHER_PARTNER,
            abbreviation=text[:30],
            description=text,
            former_names=text,
            council_area=text[:100],
        )
        rec = Recommendation.objects.create(report=report, number=1, theme=text[:200], text=text)
        rec.owners.set([owner])
        for rag, day in ((2, 1), (1, 2)):
            ProgressUpdate.objects.create(
                recommendation=rec,
                rag=rag,
                assessed_on=datetime.date(2021, 6, day),
                summary=text,
                part=text[:200],
                published_in=report,
                concerns=owner,
            )
        reports.append(report)
        recommendations.append(rec)
        owners.append(owner)
    return reports, recommendations, owners


@pytest.mark.browser
def test_no_dialog_fires_on_any_page_showing_the_payloads(context, sign_in, django_user_model):
    reports, recommendations, owners = _plant_every_payload()
    dialogs, violations = [], {}

    def watch(page):
        page.add_init_script(WATCH_CSP)
        page.on("dialog", lambda dialog: (dialogs.append((page.url, dialog.message)), dialog.dismiss()))
        return page

    site_pages = [
        "/",
        "/reports/",
        "/recommendations/?" + "&".join(f"report={r.slug}" for r in reports) + "&per_page=100",
        "/owners/",
        *[r.get_absolute_url() for r in reports],
        *[f"{r.get_absolute_url()}appendix/" for r in reports[:10]],
        *[rec.get_absolute_url() for rec in recommendations],
        *[o.get_absolute_url() for o in owners[:10]],
    ]
    admin_pages = [
        "/admin/",
        "/admin/reports/report/?all=",
        "/admin/reports/publisher/?all=",
        "/admin/recommendations/owner/?all=",
        "/admin/recommendations/recommendation/?all=",
        "/admin/recommendations/progressupdate/?all=",
        *[f"/admin/recommendations/recommendation/{rec.pk}/change/" for rec in recommendations[:10]],
    ]
    visited = 0
    for role, username, pages in [(AUDITOR, "xss-auditor", site_pages), (ADMIN, "xss-admin", admin_pages)]:
        context.clear_cookies()
        sign_in(_make_user(django_user_model, username, role, is_staff=role == ADMIN, is_superuser=role == ADMIN))
        page = watch(context.new_page())
        if role == AUDITOR:  # the watch itself works: a dialog that does fire is seen
            page.goto("/")
            page.evaluate("() => alert('control')")
            assert dialogs.pop() == (page.url, "control")
        for path in pages:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("load")
            if found := page.evaluate("window.__cspViolations"):
                violations[path] = found
            visited += 1
        page.close()

    print(f"XSS in Chromium: {len(PAYLOADS)} payloads on {visited} page visits, {len(dialogs)} dialogs")
    assert dialogs == []
    assert violations == {}


ADMIN_PAGES_UNDER_CSP = [
    "/admin/",
    "/admin/reports/report/",
    "/admin/reports/report/add/",
    "/admin/recommendations/recommendation/",
    "/admin/recommendations/recommendation/add/",
    "/admin/recommendations/recommendation/import/",
    "/admin/recommendations/recommendation/export/",
    "/admin/recommendations/progressupdate/add/",
    "/admin/recommendations/progressupdate/import/",
    "/admin/recommendations/owner/add/",
    "/admin/auth/user/add/",
]


@pytest.mark.browser
def test_admin_and_import_pages_work_under_the_content_security_policy(context, sign_in, django_user_model):
    """The admin's scripts (date pickers, filter_horizontal, autocomplete, prepopulated
    slugs) and django-import-export's pages run with nothing blocked by the policy."""
    sign_in(_make_user(django_user_model, "csp-admin", ADMIN, is_staff=True, is_superuser=True))
    page = context.new_page()
    page.add_init_script(WATCH_CSP)
    errors = []
    page.on("pageerror", lambda error: errors.append((page.url, str(error))))
    violations = {}
    for path in ADMIN_PAGES_UNDER_CSP:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
        if found := page.evaluate("window.__cspViolations"):
            violations[path] = found
    # The admin's JavaScript really ran: filter_horizontal built its two-box selector,
    # and the export page's "Select all" toggle (wired without an inline handler) works.
    page.goto("/admin/reports/report/add/")
    assert page.locator("#id_publishers_from").count() == 1
    page.goto("/admin/recommendations/recommendation/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 1
    page.locator(".select-toggle").first.uncheck()
    assert not any(fields.nth(i).is_checked() for i in range(fields.count()))
    assert violations == {}
    assert errors == []
