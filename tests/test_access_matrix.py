"""Role x URL x method, generated from the URLconf: every named URL must have an entry
here, so a new URL cannot ship without saying who may use it.

The admin site's own URLs (beyond its index) are Django's and are checked by
is_staff; they are covered by tests/test_admin.py.
"""

import datetime

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from recommendations.models import Recommendation
from tests.conftest import _make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "no_role", "officer_a", "officer_b", "auditor", "admin_user"]
LOGIN = 302  # sent to sign in
OK, REDIRECT, BAD, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 200, 302, 400, 403, 404, 405


def named_urls() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                if p.namespace == "admin":
                    names.add("admin:index")
                    continue
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns)
    return names


def _sg_only():
    return Recommendation.objects.get(report__slug="community-planning-update-2016", number=8)


def _to_all_cpps():
    return Recommendation.objects.get(report__slug="community-planning-update-2016", number=12)


def _inverclyde_evidence_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommendations.models import Owner
    from recommendations.services import response_create

    response = response_create(
        recommendation=_to_all_cpps(),
        organisation=Owner.objects.get(slug="inverclyde-alliance"),
        progress="implemented",
        text="Done.",
        responded_on=datetime.date(2026, 1, 5),
        files=[SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n%minutes\n", content_type="application/pdf")],
    )
    return response.files.get()


def _everyone(get, post):
    """The same (GET, POST) outcome for every signed-in persona with a role."""
    return {p: (get, post) for p in ["officer_a", "officer_b", "auditor", "admin_user"]}


READ_ONLY = {"anonymous": (LOGIN, LOGIN), "no_role": (FORBIDDEN, FORBIDDEN), **_everyone(OK, NOT_ALLOWED)}

# name -> (kwargs factory, {persona: (GET status, POST status)})
MATRIX = {
    "home": (dict, READ_ONLY),
    "healthz": (dict, {p: (OK, NOT_ALLOWED) for p in PERSONAS}),
    # The privacy notice is for everyone, signed in or not.
    "privacy": (dict, {p: (OK, NOT_ALLOWED) for p in PERSONAS}),
    # Metrics exist only with TRACKER_METRICS_TOKEN set, and then only for its bearer,
    # never for a session (tests/test_metrics.py).
    "metrics": (dict, {p: (NOT_FOUND, NOT_ALLOWED) for p in PERSONAS}),
    "reports:list": (dict, READ_ONLY),
    "reports:detail": (lambda: {"slug": "community-planning-update-2016"}, READ_ONLY),
    "reports:appendix": (lambda: {"slug": "community-planning-update-2016"}, READ_ONLY),
    "reports:appendix_pdf": (lambda: {"slug": "community-planning-update-2016"}, READ_ONLY),
    "recommendations:list": (dict, READ_ONLY),
    "recommendations:owners": (dict, READ_ONLY),
    "recommendations:owner": (lambda: {"slug": "cosla"}, READ_ONLY),
    "recommendations:mine": (dict, READ_ONLY),
    # The update form posts to the recommendation's own page: only auditors record updates
    # (an officer is refused before the recommendation is looked up, so 403 reveals nothing).
    "recommendations:detail": (
        lambda: {"pk": _sg_only().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (NOT_FOUND, FORBIDDEN),  # not addressed to Inverclyde
            "officer_b": (OK, FORBIDDEN),
            "auditor": (OK, BAD),  # reaches the form; an empty post is invalid
            "admin_user": (OK, FORBIDDEN),  # admins load reports; auditors assess
        },
    ),
    # A recommendation's life (#20): chains of linked recommendations are for every reader;
    # closing and reopening for auditors and admins (an officer is refused before the
    # recommendation is looked up); a response for the addressee's officers (another
    # organisation's officer does not see it), auditors and admins. Empty posts are invalid.
    "recommendations:repeated": (dict, READ_ONLY),
    "recommendations:closure": (
        lambda: {"pk": _sg_only().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (NOT_ALLOWED, FORBIDDEN),
            "officer_b": (NOT_ALLOWED, FORBIDDEN),
            "auditor": (NOT_ALLOWED, BAD),
            "admin_user": (NOT_ALLOWED, BAD),
        },
    ),
    "recommendations:acceptance": (
        lambda: {"pk": _sg_only().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (NOT_ALLOWED, NOT_FOUND),  # not addressed to Inverclyde
            "officer_b": (NOT_ALLOWED, BAD),
            "auditor": (NOT_ALLOWED, BAD),
            "admin_user": (NOT_ALLOWED, BAD),
        },
    ),
    # The form's former address: a post is still recorded (old pages, bookmarks); a GET goes
    # to the recommendation.
    "recommendations:add_update": (
        lambda: {"pk": _sg_only().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (REDIRECT, FORBIDDEN),
            "officer_b": (REDIRECT, FORBIDDEN),
            "auditor": (REDIRECT, BAD),
            "admin_user": (REDIRECT, FORBIDDEN),
        },
    ),
    # An organisation's response: its own officers only (2016 #12 is addressed to all CPPs,
    # Inverclyde among them); an empty post is invalid. Others who may see it: 403.
    "recommendations:respond": (
        lambda: {"pk": _to_all_cpps().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (OK, BAD),
            "officer_b": (NOT_FOUND, NOT_FOUND),  # not addressed to the Scottish Government
            "auditor": (FORBIDDEN, FORBIDDEN),
            "admin_user": (FORBIDDEN, FORBIDDEN),
        },
    ),
    # An evidence file of Inverclyde's response: 404 for anyone who may not see the response.
    "recommendations:evidence_file": (
        lambda: {"file_id": _inverclyde_evidence_file().pk},
        {
            "anonymous": (LOGIN, LOGIN),
            "no_role": (FORBIDDEN, FORBIDDEN),
            "officer_a": (OK, NOT_ALLOWED),
            "officer_b": (NOT_FOUND, NOT_ALLOWED),
            "auditor": (OK, NOT_ALLOWED),
            "admin_user": (OK, NOT_ALLOWED),
        },
    ),
    "admin:index": (
        dict,
        {**{p: (REDIRECT, REDIRECT) for p in PERSONAS if p != "admin_user"}, "admin_user": (OK, OK)},
    ),
    # Django's sign-in pages.
    "login": (dict, {p: (OK, OK) for p in PERSONAS}),
    "logout": (dict, {"anonymous": (LOGIN, REDIRECT), **{p: (NOT_ALLOWED, REDIRECT) for p in PERSONAS[1:]}}),
    "password_change": (dict, {"anonymous": (LOGIN, LOGIN), **{p: (OK, OK) for p in PERSONAS[1:]}}),
    "password_change_done": (dict, {"anonymous": (LOGIN, LOGIN), **{p: (OK, NOT_ALLOWED) for p in PERSONAS[1:]}}),
}


def test_every_named_url_has_an_entry():
    missing = named_urls() - set(MATRIX)
    assert not missing, f"Add these URLs to the access matrix: {sorted(missing)}"
    assert not set(MATRIX) - named_urls(), "The matrix names URLs that no longer exist"


@pytest.fixture
def clients(django_user_model, auditor, officer_a, officer_b, admin_user):
    no_role = django_user_model.objects.create_user(username="no-role", password="a-long-password-1")
    clients = {"anonymous": Client()}
    for name, user in [
        ("no_role", no_role),
        ("officer_a", officer_a),
        ("officer_b", officer_b),
        ("auditor", auditor),
        ("admin_user", admin_user),
    ]:
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_url_method_matrix(clients, name):
    kwargs_factory, expected = MATRIX[name]
    url = reverse(name, kwargs=kwargs_factory())
    assert set(expected) == set(PERSONAS), f"{name}: give every persona an outcome"
    seen = {}
    for persona, client in clients.items():
        get = client.get(url).status_code
        post = client.post(url).status_code
        seen[persona] = (get, post)
        if persona != "anonymous" and name == "logout":
            client.force_login(_user_of(client))  # logout ended the session: sign back in for later checks
    mismatches = {p: (seen[p], expected[p]) for p in PERSONAS if seen[p] != expected[p]}
    assert not mismatches, f"{url}: persona -> (got, expected) {mismatches}"


def _user_of(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.order_by("-last_login").first()


def test_anonymous_is_sent_to_sign_in_with_the_page_to_return_to(client):
    response = client.get("/recommendations/")
    assert response["Location"] == "/accounts/login/?next=/recommendations/"


def test_no_role_user_is_created_in_no_group(django_user_model):
    user = _make_user(django_user_model, "officer-x", "Officer")
    assert list(user.groups.values_list("name", flat=True)) == ["Officer"]
