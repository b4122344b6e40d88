"""What a new auditor, officer and admin stumbled on in their first hour (#21), as they see it
in Chromium: one test per finding, and the screenshots of the main pages at both widths."""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, assert_accessible
from tests.conftest import PASSWORD
from tests.factories import make_recommendation, make_report
from tracker.roles import OFFICER

PHONE = {"width": 375, "height": 812}
DASHBOARD_2016 = "/reports/community-planning-update-2016/"
IMPACT_2018 = "/reports/community-planning-update-impact-2018/"


def test_an_officer_is_told_whose_numbers_they_see(page, visit, sign_in, officer_a):
    """Finding 1: Inverclyde's officer sees 3 of the 2016 report's 13, and every count says so."""
    sign_in(officer_a)
    visit(page, DASHBOARD_2016, name="officer-dashboard")
    main = page.get_by_role("main")
    expect(main).to_contain_text(
        "The 3 recommendations of this report addressed to Inverclyde Alliance or to all CPPs (of 13)."
    )
    expect(page.get_by_role("img", name=re.compile("addressed to Inverclyde Alliance or to all CPPs"))).to_be_visible()

    visit(page, "/", name="officer-portfolio")
    expect(page.get_by_role("main")).to_contain_text(
        "23 recommendations addressed to Inverclyde Alliance or to all CPPs (of 50 in all), in 7 publications."
    )

    visit(page, "/recommendations/", name="officer-table")
    main = page.get_by_role("main")
    expect(main).to_contain_text("The recommendations addressed to Inverclyde Alliance or to all CPPs")
    expect(page.get_by_role("main")).not_to_contain_text("Every recommendation")
    expect(page.get_by_role("heading", name="23 recommendations addressed to Inverclyde Alliance")).to_be_visible()

    visit(page, "/owners/scottish-government/", name="officer-owner")
    expect(page.get_by_role("main")).to_contain_text("those addressed to Inverclyde Alliance or to all CPPs")

    with page.expect_download() as download:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert "addressed-to-inverclyde-alliance-or-to-all-cpps" in download.value.suggested_filename
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    about = [row[0] for row in workbook["About"].iter_rows(values_only=True)]
    assert about[0].startswith("The recommendations addressed to Inverclyde Alliance or to all CPPs")


def test_a_follow_up_publication_shows_what_it_published(page, visit, sign_in, auditor):
    """Finding 2: the 2018 impact report published 14 assessments of the 2016 report."""
    sign_in(auditor)
    visit(page, IMPACT_2018, name="follow-up")
    main = page.get_by_role("main")
    expect(main).not_to_contain_text("This publication makes no recommendations of its own.")
    expect(page.get_by_role("heading", name="What this publication published")).to_be_visible()
    expect(page.get_by_role("heading", name="Community planning: an update (3 March 2016)")).to_be_visible()
    expect(main.locator("#published ~ div table tbody tr")).to_have_count(14)
    page.get_by_role("link", name="Its dashboard as at this publication (July 2018)").click()
    expect(page).to_have_url(re.compile(r"/reports/community-planning-update-2016/\?as_at=2018-07-01"))
    expect(page.get_by_role("heading", name="Status as at 1 July 2018")).to_be_visible()

    visit(page, "/", name="portfolio-follow-ups")
    row = page.get_by_role("row", name=re.compile("Community planning: an update — Impact report"))
    expect(row).to_contain_text("Follow-up of Community planning: an update (2016): 14 assessments")
    expect(page.get_by_text("No recommendations of its own")).to_have_count(1)  # only the 2012 policy statement


def test_the_edges_of_dates(page, visit, sign_in, auditor):
    """Finding 5: a report published today is not stale; before publication, it was not yet out."""
    sign_in(auditor)
    today = make_report("Published this morning", published=timezone.localdate())
    make_recommendation(today)
    visit(page, today.get_absolute_url(), name="published-today")
    main = page.get_by_role("main")
    expect(main).to_contain_text("None: every recommendation has been assessed within that period")
    expect(main.locator(".tracker-stale")).to_have_count(0)

    visit(page, f"{DASHBOARD_2016}?as_at=2015-01-01", name="before-publication")
    expect(page.get_by_role("status")).to_contain_text("This report was not yet published on 1 January 2015")
    expect(page.get_by_role("img", name=re.compile("Never assessed 13"))).to_have_count(0)
    expect(main).not_to_contain_text("never assessed never assessed")


def _admin_sign_in(page, visit, admin_user):
    visit(page, "/admin/", name="admin-sign-in")
    page.get_by_label("Username").fill(admin_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_admin_import_errors_at_the_top_preview_csp_clean_and_officers_on_the_user_page(
    page, visit, admin_user, officer_b, tmp_path
):
    """Finding 6."""
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    _admin_sign_in(page, visit, admin_user)
    visit(page, "/admin/recommendations/recommendation/import/", name="import")
    assert_accessible(page, "import page")
    bad = tmp_path / "bad.csv"
    rows = ["report,number,theme,text,owners"]
    rows += [f"community-planning-update-2016,{90 + i},Theme,Text {i}.,Nobody Known" for i in range(12)]
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    page.locator("#id_import_file").set_input_files(str(bad))
    page.locator("#id_format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem: nothing was imported")
    expect(summary).to_contain_text("12 rows need correcting")
    # Seen without scrolling, above the form.
    box = summary.bounding_box()
    assert box is not None and box["y"] < DESKTOP["height"], box
    visit.screenshot(page, "import-errors")
    summary.get_by_role("link", name="Row 2").click()
    expect(page).to_have_url(re.compile("#import-row-2$"))
    expect(page.locator("#import-row-2")).to_be_in_viewport()
    assert_accessible(page, "import errors")

    good = tmp_path / "good.csv"
    good.write_text(
        "report,number,theme,text,owners\ncommunity-planning-update-2016,99,Theme,A new one.,COSLA\n", encoding="utf-8"
    )
    violations.clear()  # axe itself applies styles from a script: only the page's own count
    page.locator("#id_import_file").set_input_files(str(good))
    page.locator("#id_format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator("tr.new")).to_contain_text("A new one.")
    assert page.locator(".import-preview [style]").count() == 0
    assert not violations, violations
    visit.screenshot(page, "import-preview")
    assert_accessible(page, "import preview")

    # An officer's organisations on their user page.
    visit(page, f"/admin/auth/user/{officer_b.pk}/change/", name="user-change")
    inline = page.locator("#Owner_officers-group, [id$='officers-group']").first
    expect(inline).to_contain_text("Organisations (an officer sees the recommendations addressed to these)")
    expect(inline).to_contain_text("Scottish Government")
    assert_accessible(page, "user change")


def test_paper_cuts(page, visit, sign_in, context, auditor, django_user_model):
    """Finding 7."""
    sign_in(auditor)
    visit(page, "/owners/", name="organisations")
    expect(page.get_by_role("heading", name="Local government bodies")).to_be_visible()
    expect(page.get_by_text("bodys")).to_have_count(0)
    navigation = page.get_by_role("navigation", name="Main").last
    expect(navigation.get_by_role("link", name="Publications")).to_be_visible()
    expect(navigation.get_by_role("link", name="Reports", exact=True)).to_have_count(0)
    expect(navigation.get_by_role("link", name="Organisations")).to_have_attribute("aria-current", "page")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200

    navigation.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    lonely = django_user_model.objects.create_user(username="no-org", password=PASSWORD)
    lonely.groups.add(Group.objects.get_or_create(name=OFFICER)[0])
    sign_in(lonely)
    visit(page, "/", name="officer-without-organisation")
    expect(page.get_by_role("main")).to_contain_text("Ask an admin to link your account to your organisation")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
@pytest.mark.parametrize("persona", ["auditor", "officer_a"])
def test_screenshots_of_the_main_pages(request, page, visit, sign_in, persona, viewport):
    """The portfolio, the table, a dashboard and a follow-up publication, for looking at."""
    sign_in(request.getfixturevalue(persona))
    page.set_viewport_size(viewport)
    for name, path in [
        ("portfolio", "/"),
        ("table", "/recommendations/"),
        ("dashboard", DASHBOARD_2016),
        ("follow-up", IMPACT_2018),
    ]:
        visit(page, path, name=f"{persona}-{name}")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, name


ADMIN_PAGES = [
    ("admin-index", lambda: "/admin/"),
    ("recommendation-list", lambda: "/admin/recommendations/recommendation/"),
    ("recommendation-import", lambda: "/admin/recommendations/recommendation/import/"),
    ("progress-update-import", lambda: "/admin/recommendations/progressupdate/import/"),
    ("owner-change", lambda: f"/admin/recommendations/owner/{_owner('inverclyde-alliance')}/change/"),
    ("user-list", lambda: "/admin/auth/user/"),
]


def _owner(slug):
    from recommendations.models import Owner

    return Owner.objects.get(slug=slug).pk


def test_the_admin_pages_the_app_customises_pass_axe(page, visit, admin_user):
    """Finding 6: axe found 4 serious violations on admin pages (two-box widgets, select2
    boxes without names, links marked by colour alone). Every page the app adds or
    customises, then the carry-forward action's own page."""
    _admin_sign_in(page, visit, admin_user)
    failures = {}
    for name, path in ADMIN_PAGES:
        visit(page, path(), name=name)
        try:
            assert_accessible(page, name)
        except AssertionError as error:
            failures[name] = str(error)
    visit(page, "/admin/recommendations/recommendation/", name="carry-forward-start")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("carry_forward")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_label("Carry forward into")).to_be_visible()
    visit.screenshot(page, "carry-forward")
    try:
        assert_accessible(page, "carry forward")
    except AssertionError as error:
        failures["carry-forward"] = str(error)
    assert not failures, "\n".join(failures.values())
