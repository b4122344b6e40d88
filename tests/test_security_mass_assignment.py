"""Mass assignment: fields a request must not set (the author, the organisation, the
time an update was created, the current status, staff rights) are ignored wherever
they are posted, and no form is built to accept "every field"."""

import datetime
import importlib
import pkgutil

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory

from recommendations.models import Owner, ProgressUpdate, Recommendation, Status
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("recommendations", "reports", "tracker")

# What a request never sets: who wrote it, when, the derived status, staff rights.
SERVER_SET = {
    "author",
    "created",
    "modified",
    "status",
    "status_date",
    "status_date_precision",
    "update_count",
    "first_assessed_on",
    "superseded_on",
    "source_key",
    "is_staff",
    "is_superuser",
    "last_login",
    "date_joined",
}


def _extra_fields(other_user, other_rec, org) -> dict:
    return {
        "author": other_user.pk,
        "author_id": other_user.pk,
        "organisation": org.pk,
        "concerns": org.pk,
        "recommendation": other_rec.pk,
        "created": "2001-01-01T00:00:00Z",
        "status": Status.RED,
        "update_count": 99,
        "first_assessed_on": "2001-01-01",
        "superseded_on": "2001-01-01",
        "source_key": "forged",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": "1",
    }


def test_the_update_form_ignores_extra_fields(auditor_client, auditor, officer_b, org_b, seeded):
    rec, other_rec = Recommendation.objects.filter(report__slug="community-planning-update-2016")[:2]
    response = auditor_client.post(
        f"/recommendations/{rec.pk}/updates/",
        {
            "rag": Status.GREEN,
            "assessed_on": "2024-05-01",
            "summary": "Real assessment.",
            "seen_latest": 10**9,
            # "concerns" is the form's own "Rating for" field since #19 (tests/test_responses.py).
            **{k: v for k, v in _extra_fields(officer_b, other_rec, org_b).items() if k != "concerns"},
        },
    )
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(summary="Real assessment.")
    assert update.recommendation == rec  # the one in the address, not the posted one
    assert update.author == auditor
    assert update.concerns is None
    assert update.source_key is None and update.superseded_on is None
    assert update.created.date() == datetime.date.today()
    rec.refresh_from_db()
    assert rec.status == Status.GREEN and rec.update_count == rec.updates.count()
    assert not other_rec.updates.filter(summary="Real assessment.").exists()
    auditor.refresh_from_db()
    assert not auditor.is_staff and not auditor.is_superuser


def test_password_change_ignores_staff_rights(client, officer_a, org_b):
    client.force_login(officer_a)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-42",
            "new_password2": "another-long-passphrase-42",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": "1",
            "organisations": org_b.pk,
        },
    )
    assert response.status_code == 302
    officer_a.refresh_from_db()
    assert not officer_a.is_staff and not officer_a.is_superuser
    assert list(officer_a.groups.values_list("name", flat=True)) == ["Officer"]
    assert list(officer_a.organisations.all()) == [Owner.objects.get(slug="inverclyde-alliance")]


def test_admin_cannot_post_the_derived_status_or_an_author(admin_client_, admin_user, officer_b, seeded):
    report = Recommendation.objects.first().report
    owner = Owner.objects.get(slug="cosla")
    response = admin_client_.post(
        "/admin/recommendations/recommendation/add/",
        {
            "report": report.pk,
            "number": 999,
            "text": "Added by an admin.",
            "owners": [owner.pk],
            "status": Status.RED,
            "status_date": "2001-01-01",
            "update_count": 5,
            "first_assessed_on": "2001-01-01",
            "created": "2001-01-01T00:00:00Z",
            "updates-TOTAL_FORMS": 0,
            "updates-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rec = Recommendation.objects.get(report=report, number=999)
    assert (rec.status, rec.status_date, rec.update_count, rec.first_assessed_on) == (
        Status.NEVER_ASSESSED,
        None,
        0,
        None,
    )
    assert rec.created.date() == datetime.date.today()

    response = admin_client_.post(
        "/admin/recommendations/progressupdate/add/",
        {
            "recommendation": rec.pk,
            "assessed_on": "2024-01-01",
            "assessed_precision": "day",
            "rag": Status.AMBER,
            "summary": "Entered in the admin.",
            "evidence": "[]",
            "author": officer_b.pk,
            "created": "2001-01-01T00:00:00Z",
            "source_key": "forged",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    update = ProgressUpdate.objects.get(summary="Entered in the admin.")
    assert update.author == admin_user and update.source_key is None
    assert update.created.date() == datetime.date.today()


def _project_modelforms() -> list[type[forms.ModelForm]]:
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, stack = [], list(forms.ModelForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_APPS:
            found.append(cls)
    return found


def test_no_model_form_takes_all_fields_or_excludes_some():
    """A form lists the fields it accepts: a field added to a model later is never
    writable by accident."""
    offenders = []
    for form in _project_modelforms():
        meta = getattr(form, "Meta", None)
        if getattr(meta, "fields", None) in (None, forms.ALL_FIELDS) or getattr(meta, "exclude", None):
            offenders.append(form.__qualname__)
    assert offenders == []


def test_no_model_admin_takes_all_fields_excludes_some_or_exposes_server_set_fields(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    offenders, checked = [], 0
    for model, model_admin in admin.site._registry.items():
        name = f"{model._meta.label} ({type(model_admin).__name__})"
        if model_admin.fields == forms.ALL_FIELDS or model_admin.exclude:
            offenders.append(f"{name}: fields='__all__' or exclude")
        if model._meta.app_label not in PROJECT_APPS:
            # Django's and django-axes' own admins (UserAdmin's form says "__all__", but its
            # fieldsets decide what is posted): only the check above applies.
            continue
        form_meta = getattr(model_admin.form, "Meta", None)
        if form_meta is not None and (
            getattr(form_meta, "fields", None) == forms.ALL_FIELDS or getattr(form_meta, "exclude", None)
        ):
            offenders.append(f"{name}: its form takes all fields or excludes some")
        for obj in (None, model._default_manager.first()):
            if obj is None and not model_admin.has_add_permission(request):
                continue
            writable = set(model_admin.get_form(request, obj).base_fields) - set(
                model_admin.get_readonly_fields(request, obj)
            )
            if exposed := writable & SERVER_SET:
                offenders.append(f"{name}: writable {sorted(exposed)}")
            checked += 1
    assert offenders == []
    assert checked >= 8


def test_a_non_staff_user_cannot_grant_themselves_staff_rights_through_the_admin(client, officer_a):
    client.force_login(officer_a)
    response = client.post(
        f"/admin/auth/user/{officer_a.pk}/change/",
        {"username": officer_a.username, "is_staff": "on", "is_superuser": "on", "is_active": "on"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    officer_a.refresh_from_db()
    assert not officer_a.is_staff and not officer_a.is_superuser
