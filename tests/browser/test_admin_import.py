"""A new admin loads a report in chromium: the report by hand, its recommendations from the template."""

import csv
import io
import re

from django.core.management import call_command
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-tracker-2026"


def test_admin_loads_a_three_recommendation_report_from_the_template(page, live_server, visit, tmp_path):
    call_command("demo_users", "--force", verbosity=0)

    # Sign in to the admin as the demo admin.
    visit(page, "/admin/", name="admin-sign-in")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    # Create the publication.
    visit(page, "/admin/reports/report/add/", name="add-report")
    page.get_by_label("Title:", exact=True).fill("Community planning: the next steps")
    page.get_by_label("Short title:").fill("Next steps (2026)")
    page.get_by_label("Short title:").press("Tab")  # the admin fills the slug in from the short title
    expect(page.get_by_label("Slug:")).to_have_value("next-steps-2026")
    page.get_by_label("Kind:").select_option(label="Performance audit")
    page.locator("#id_publishers_from").select_option(index=0)
    page.locator("#id_publishers_add").click()
    page.get_by_label("Published:").fill("2026-03-05")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # Find the import, download the template.
    visit(page, "/admin/recommendations/recommendation/", name="recommendations-changelist")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="How to import")).to_be_visible()
    expect(page.locator(".tracker-import-guide")).to_contain_text("next-steps-2026")
    visit.screenshot(page, "import-page")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV template").click()
    template = download_info.value.path().read_text(encoding="utf-8")
    headers = next(csv.reader(io.StringIO(template)))
    assert headers[:5] == ["report", "number", "theme", "text", "owners"]

    # Fill it in as an admin would.
    rows = [
        {
            "report": "next-steps-2026",
            "number": "1",
            "theme": "Leadership",
            "text": "Agree a shared route map.",
            "owners": "Scottish Government; COSLA",
        },
        {
            "report": "next-steps-2026",
            "number": "2",
            "theme": "Leadership",
            "text": "Report progress every year.",
            "owners": "Improvement Service",
        },
        {
            "report": "next-steps-2026",
            "number": "3",
            "theme": "Communities",
            "text": "Involve communities in <em>every</em> plan.",
            "owners": "Inverclyde Alliance",
        },
    ]
    filled = tmp_path / "next-steps.csv"
    with filled.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)

    # Preview, then import.
    page.locator("#id_import_file").set_input_files(str(filled))
    page.locator("#id_format").select_option(label="csv")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator("tr.new")).to_have_count(3)
    expect(page.locator("tr.new").first).to_contain_text("COSLA; Scottish Government")
    visit.screenshot(page, "preview")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("Import finished: 3 new")

    # The report is on /reports/, with its dashboard.
    visit(page, "/reports/", name="reports-after-import")
    page.get_by_role("main").get_by_role("link", name=re.compile("Community planning: the next steps")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Community planning: the next steps")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Agree a shared route map.")
    expect(main).to_contain_text("Involve communities in every plan.")
    visit.screenshot(page, "dashboard")
    # Tables show the words (the link is on the recommendation's number); its own page keeps its emphasis.
    row = main.locator("tr", has_text="Involve communities in every plan.").first
    row.get_by_role("link", name=re.compile(r"^Recommendation \d+$")).click()
    expect(page.get_by_role("main").locator("em", has_text="every")).to_have_count(1)
    expect(page.get_by_role("main")).to_contain_text("Never assessed")
