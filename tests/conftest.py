"""Test personas, defined once: an auditor, an officer of organisation A
(Inverclyde Alliance, a CPP), an officer of organisation B (the Scottish
Government), an admin, and an anonymous visitor."""

import pytest
from django.contrib.auth.models import Group

from recommendations.models import Owner
from tests.factories import make_owner
from tracker.roles import ADMIN, AUDITOR, OFFICER

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a(db):
    """Inverclyde Alliance: one of the 32 CPPs (get-or-create, so it coexists with seeded data)."""
    return Owner.objects.filter(slug="inverclyde-alliance").first() or make_owner(
        "Inverclyde Alliance", kind=Owner.Kind.CPP, council_area="Inverclyde"
    )


@pytest.fixture
def org_b(db):
    return Owner.objects.filter(slug="scottish-government").first() or make_owner(
        "Scottish Government", kind=Owner.Kind.NATIONAL_GOVERNMENT, former_names="Scottish Executive"
    )


def _make_user(django_user_model, username, role, organisations=(), **extra):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
    user.groups.add(Group.objects.get(name=role))
    if organisations:
        user.organisations.set(organisations)
    return user


@pytest.fixture
def auditor(django_user_model):
    return _make_user(django_user_model, "auditor", AUDITOR)


@pytest.fixture
def officer_a(django_user_model, org_a):
    return _make_user(django_user_model, "officer-a", OFFICER, [org_a])


@pytest.fixture
def officer_b(django_user_model, org_b):
    return _make_user(django_user_model, "officer-b", OFFICER, [org_b])


@pytest.fixture
def admin_user(django_user_model):
    return _make_user(django_user_model, "admin", ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def seeded(db):
    """The full seed data set, loaded into this test's transaction."""
    from recommendations.seeding import seed

    seed()
