"""Admins load a report by hand: the report with its recommendations inline, and the
carry-forward action."""

import datetime

import pytest
from django.contrib.admin.models import ADDITION, LogEntry

from recommendations.models import Owner, Recommendation
from reports.models import Publisher, Report

pytestmark = pytest.mark.django_db

ADD = "/admin/reports/report/add/"


def _report_form(**inline_rows):
    owners = list(Owner.objects.filter(slug__in=["cosla", "scottish-government"]).values_list("pk", flat=True))
    data = {
        "title": "Community planning: the next steps",
        "short_title": "Next steps (2026)",
        "slug": "next-steps-2026",
        "kind": "performance_audit",
        "publishers": [Publisher.objects.first().pk],
        "published": "2026-03-05",
        "published_precision": "day",
        "url": "",
        "summary": "",
        "recommendations-TOTAL_FORMS": str(len(inline_rows)),
        "recommendations-INITIAL_FORMS": "0",
        "recommendations-MIN_NUM_FORMS": "0",
        "recommendations-MAX_NUM_FORMS": "1000",
    }
    for i, (number, text) in enumerate(inline_rows.values()):
        data.update(
            {
                f"recommendations-{i}-number": number,
                f"recommendations-{i}-theme": "Leadership",
                f"recommendations-{i}-text": text,
                f"recommendations-{i}-owners": owners,
            }
        )
    return data


def test_admin_adds_a_report_with_its_recommendations_inline(admin_client_, seeded):
    data = _report_form(a=(1, "Agree a route map."), b=(2, "Publish <em>progress</em> yearly.<script>x()</script>"))
    response = admin_client_.post(ADD, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    report = Report.objects.get(slug="next-steps-2026")
    recs = list(report.recommendations.order_by("number"))
    assert [r.text for r in recs] == ["Agree a route map.", "Publish <em>progress</em> yearly."]
    assert recs[0].owners.count() == 2
    assert admin_client_.get(report.get_absolute_url()).status_code == 200


def test_inline_duplicate_numbers_and_empty_text_are_explained(admin_client_, seeded):
    before = Report.objects.count()
    response = admin_client_.post(ADD, _report_form(a=(1, "One."), b=(1, "Also one."), c=(2, "   ")))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the duplicate data for number." in page
    assert "This field is required." in page  # the blank text
    assert Report.objects.count() == before


@pytest.fixture
def later_report(seeded):
    return Report.objects.create(
        slug="later-2026",
        title="Later",
        short_title="Later (2026)",
        published=datetime.date(2026, 2, 1),
        kind=Report.Kind.PERFORMANCE_AUDIT,
    )


def _carry(client, recs, into=None):
    data = {"action": "carry_forward", "_selected_action": [r.pk for r in recs]}
    if into is not None:
        data["into"] = into.pk
    return client.post("/admin/recommendations/recommendation/", data)


def test_carry_forward_asks_for_the_report_then_links_new_recommendations(admin_client_, later_report):
    earlier = list(Recommendation.objects.filter(report__slug="community-planning-update-2016", number__in=[2, 3]))
    asked = _carry(admin_client_, earlier)
    assert asked.status_code == 200
    assert "Carry forward into" in asked.content.decode()
    assert later_report.recommendations.count() == 0

    done = _carry(admin_client_, earlier, into=later_report)
    assert done.status_code == 302
    new = list(later_report.recommendations.order_by("number"))
    assert [r.number for r in new] == [1, 2]
    for copy, original in zip(new, sorted(earlier, key=lambda r: r.number), strict=True):
        assert copy.text == original.text
        assert set(copy.owners.all()) == set(original.owners.all())
        assert list(copy.carries_forward.all()) == [original]
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id__in=[str(r.pk) for r in new]).count() == 2
    # Doing it again adds nothing.
    _carry(admin_client_, earlier, into=later_report)
    assert later_report.recommendations.count() == 2
    detail = admin_client_.get(earlier[0].get_absolute_url()).content.decode()
    assert "Later (2026)" in detail  # the original's page shows where it was carried forward


def test_carry_forward_refuses_an_earlier_report(admin_client_, seeded):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=2)
    earlier = Report.objects.get(slug="improving-community-planning-2013")
    before = Recommendation.objects.count()
    response = _carry(admin_client_, [rec], into=earlier)
    assert response.status_code == 200
    assert "can only be carried forward into a later report" in response.content.decode()
    assert Recommendation.objects.count() == before
