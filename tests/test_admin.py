"""The admin site: every model registered, recommendations with owners and history."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry

from recommendations.models import AuditDimension, Owner, ProgressUpdate, Recommendation, Status
from reports.models import Publisher, Report

pytestmark = pytest.mark.django_db


def test_every_model_is_registered():
    for model in (Report, Publisher, Owner, AuditDimension, Recommendation, ProgressUpdate):
        assert admin.site.is_registered(model), model


def test_changelist_lists_every_recommendation_with_owners(admin_client_, seeded):
    page = admin_client_.get("/admin/recommendations/recommendation/?all=").content.decode()
    assert "50 recommendations" in page
    assert "Scottish Government, COSLA" in page or "COSLA, Scottish Government" in page
    assert "Inverclyde Alliance" in page


@pytest.mark.parametrize("status", [Status.GREEN, Status.NEVER_ASSESSED])
def test_changelist_filters_by_status(admin_client_, seeded, status):
    response = admin_client_.get(f"/admin/recommendations/recommendation/?status={status.value}")
    expected = Recommendation.objects.filter(status=status).count()
    assert f"{expected} recommendation" in response.content.decode()


def test_recommendation_change_page_shows_read_only_history(admin_client_, seeded):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=1)
    page = admin_client_.get(f"/admin/recommendations/recommendation/{rec.pk}/change/").content.decode()
    assert "Route map for improving community planning" in page
    assert "How the impact of these changes will be assessed" in page
    assert 'name="updates-0-summary"' not in page  # shown, not editable


def test_report_change_page_has_recommendations_inline(admin_client_, seeded):
    report = Report.objects.get(slug="community-planning-update-2016")
    page = admin_client_.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert 'name="recommendations-TOTAL_FORMS" value="13"' in page


def test_owner_autocomplete_finds_owners(admin_client_, seeded):
    response = admin_client_.get(
        "/admin/autocomplete/",
        {"term": "inver", "app_label": "recommendations", "model_name": "recommendation", "field_name": "owners"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Inverclyde Alliance"]


def test_admin_adds_updates_through_the_service_and_never_edits_them(admin_client_, admin_user, seeded):
    rec = Recommendation.objects.get(report__slug="community-planning-update-2016", number=8)
    response = admin_client_.post(
        "/admin/recommendations/progressupdate/add/",
        {
            "recommendation": rec.pk,
            "assessed_on": "2019-01-15",
            "assessed_precision": "day",
            "rag": Status.GREEN.value,
            "summary": "Frameworks streamlined.",
            "evidence": "[]",
            "part": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rec.refresh_from_db()
    assert rec.status == Status.GREEN and rec.status_date == datetime.date(2019, 1, 15)
    update = rec.updates.first()
    assert update.author == admin_user
    assert LogEntry.objects.filter(object_id=str(update.pk), user=admin_user).exists()
    # History is never rewritten: no change or delete through the admin.
    change = admin_client_.post(f"/admin/recommendations/progressupdate/{update.pk}/change/", {"summary": "edited"})
    assert change.status_code in (302, 403) or "edited" not in ProgressUpdate.objects.get(pk=update.pk).summary
    assert ProgressUpdate.objects.get(pk=update.pk).summary == "Frameworks streamlined."
    delete = admin_client_.post(f"/admin/recommendations/progressupdate/{update.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()
