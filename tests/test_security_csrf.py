"""Cross-site request forgery, over every URL the URLconf has (the site's, the admin's,
django-import-export's and django-axes'), generated so that a new URL is covered
without anyone remembering to add it:

- no view is ``csrf_exempt``;
- a POST without a token is refused (403, the CSRF page) for every URL x persona;
- the same POSTs with the token get through to the view (so the refusals above are
  the CSRF check, not something else);
- a GET on a URL whose POST changes state changes nothing, and the views that
  only change state (sign-out, the update form) answer GET with 405.
"""

import re

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from recommendations.models import Owner, ProgressUpdate, Recommendation
from reports.models import Report
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "auditor", "officer_a", "officer_b", "admin_user"]


def url_patterns():
    """(route with its converters, callback, name) for every pattern in the URLconf."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), namespace + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern):
                found.append((prefix + str(p.pattern), p.callback, f"{namespace}{p.name or ''}"))

    walk(get_resolver().url_patterns)
    return found


def _model_for(name: str, callback):
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None:
        return model_admin.model
    for model in apps.get_models():
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def _sample_values(route: str, name: str, callback) -> dict[str, str]:
    """A real object for every parameter in the route, so each URL reaches its view."""
    model = _model_for(name, callback)
    obj = model._default_manager.order_by("pk").first() if model is not None else None
    values = {}
    for param in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route):
        param = param[0] or param[1]
        if param == "object_id" and name == "admin:view_on_site":
            values[param] = str(Report.objects.first().pk)
        elif param in ("object_id", "id"):
            values[param] = str(obj.pk if obj is not None else 1)
        elif param == "content_type_id":
            values[param] = str(ContentType.objects.get_for_model(Report).pk)
        elif param == "pk":
            values[param] = str(Recommendation.objects.filter(report__slug="community-planning-update-2016").first().pk)
        elif param == "slug":
            values[param] = "cosla" if name.startswith("recommendations:") else "community-planning-update-2016"
        elif param == "fmt":
            values[param] = "csv"
        elif param == "app_label":
            values[param] = "recommendations"
        elif param == "file_id":
            values[param] = "1"  # an evidence file (none seeded: a 404 for GET, which changes nothing)
        elif param == "url":
            values[param] = "no-such-admin-page/"
        else:
            raise AssertionError(f"{route}: no sample value for parameter {param!r}: add one")
    return values


def concrete_urls() -> list[tuple[str, str]]:
    """(path, name) for every pattern, its parameters filled in with real objects."""
    urls = []
    for route, callback, name in url_patterns():
        values = _sample_values(route, name, callback)
        path = "/" + route
        for param, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{param}>|\(\?P<{param}>[^)]*\)", value, path)
        path = path.replace("^", "").replace("$", "")
        urls.append((path, name))
    return urls


@pytest.fixture
def persona_users(auditor, officer_a, officer_b, admin_user):
    return {"auditor": auditor, "officer_a": officer_a, "officer_b": officer_b, "admin_user": admin_user}


def _client(persona, users) -> Client:
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        client.force_login(users[persona])
    return client


def test_no_view_is_csrf_exempt():
    patterns = url_patterns()
    assert len(patterns) > 80  # the site's, the admin's, import-export's
    exempt = [route for route, callback, _ in patterns if getattr(callback, "csrf_exempt", False)]
    view_classes = [getattr(callback, "view_class", None) for _, callback, _ in patterns]
    exempt += [c.__name__ for c in view_classes if c and getattr(c.dispatch, "csrf_exempt", False)]
    assert exempt == []


def test_every_url_refuses_a_post_without_a_csrf_token_for_every_persona(persona_users, seeded):
    urls = concrete_urls()
    tried, refused = 0, []
    for persona in PERSONAS:
        client = _client(persona, persona_users)
        for path, _name in urls:
            response = client.post(path, {"username": "auditor", "password": PASSWORD, "summary": "x", "rag": 3})
            tried += 1
            if response.status_code != 403 or "403_csrf.html" not in [t.name for t in response.templates]:
                refused.append((persona, path, response.status_code))
    print(f"CSRF: {len(urls)} URLs x {len(PERSONAS)} personas = {tried} token-less POSTs, all refused")
    assert refused == [], "accepted without a CSRF token"
    assert tried >= 5 * 80


def test_a_stale_or_forged_token_is_refused(auditor):
    client = _client("auditor", {"auditor": auditor})
    rec = Recommendation.objects.first()
    response = client.post(
        reverse("recommendations:add_update", args=[rec.pk]),
        {"csrfmiddlewaretoken": "A" * 64, "rag": 3, "summary": "forged", "assessed_on": "2024-01-01"},
    )
    assert response.status_code == 403
    assert not ProgressUpdate.objects.filter(summary="forged").exists()


def _token(client, path="/accounts/login/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def test_with_the_token_the_same_posts_reach_their_views(auditor, admin_user, seeded):
    """The positive control: sign-in, the update form, the admin and sign-out all work
    once the token is there, so the refusals above are the CSRF check."""
    client = Client(enforce_csrf_checks=True)
    token = _token(client)
    response = client.post(
        "/accounts/login/", {"username": "auditor", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302

    rec = Recommendation.objects.filter(report__slug="community-planning-update-2016").first()
    token = _token(client, rec.get_absolute_url())  # rotated at sign-in
    response = client.post(
        reverse("recommendations:add_update", args=[rec.pk]),
        {
            "csrfmiddlewaretoken": token,
            "rag": 2,
            "summary": "With a token.",
            "assessed_on": "2024-01-01",
            "seen_latest": 10**9,
        },
    )
    assert response.status_code == 302
    assert rec.updates.filter(summary__contains="With a token.").exists()
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302

    admin = Client(enforce_csrf_checks=True)
    admin.force_login(admin_user)
    token = _token(admin, "/admin/reports/publisher/add/")
    response = admin.post("/admin/reports/publisher/add/", {"name": "A new publisher", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


# Views whose only job is to change state: GET must not be allowed at all. (The update form's
# former address, recommendations:add_update, answers GET with a redirect to the recommendation:
# tests/test_update_form.py.)
POST_ONLY = ["logout", "admin:logout"]


@pytest.mark.parametrize("persona", ["auditor", "officer_a", "admin_user"])
def test_get_on_state_changing_urls_is_405(persona_users, persona, seeded):
    client = _client(persona, persona_users)
    paths = dict((name, path) for path, name in concrete_urls())
    for name in POST_ONLY:
        if name.startswith("admin:") and persona != "admin_user":
            continue  # the admin sends non-staff to its sign-in page first
        assert client.get(paths[name]).status_code == 405, name
    assert "_auth_user_id" in client.session  # GET /logout did not sign anyone out


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("recommendations", "reports", "auth", "admin")
    }


def test_get_on_every_url_changes_nothing(admin_client_, seeded):
    """Even the admin's delete and the import pages only show a confirmation or a form on GET."""
    before = _row_counts()
    for path, _ in concrete_urls():
        admin_client_.get(path)
    assert _row_counts() == before
    assert Owner.objects.exists() and Report.objects.exists()
