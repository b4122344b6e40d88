"""Test personas, defined once: an auditor, an officer of organisation A
(Inverclyde Alliance, a CPP), an officer of organisation B (the Scottish
Government), an admin, and an anonymous visitor."""

import os

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from recommendations.models import Owner
from tracker.roles import ADMIN, AUDITOR, OFFICER

PASSWORD = "correct-horse-battery-staple"

# Property-based tests (tests/test_fuzz_urls.py): a fixed, repeatable budget in CI; more
# examples with HYPOTHESIS_PROFILE=dev. A test's examples share its personas and database
# transaction (a request may add to it, as a user would), hence the suppressed health checks.
_HYPOTHESIS = dict(derandomize=True, deadline=None, database=None, print_blob=False)
_SHARED_FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
hypothesis_settings.register_profile("ci", max_examples=20, suppress_health_check=_SHARED_FIXTURES, **_HYPOTHESIS)
hypothesis_settings.register_profile("dev", max_examples=300, suppress_health_check=_SHARED_FIXTURES, **_HYPOTHESIS)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _served_over_plain_http_without_collectstatic():
    """Production settings redirect http to https and name static files by the manifest
    that collectstatic writes. The test client and the live server speak plain http and
    render without collectstatic, so both are switched off for the whole session, before
    the live server builds its middleware (tests/test_production.py runs the real thing;
    tests/test_security_headers.py turns the redirect back on to check it)."""
    from django.conf import settings
    from django.test import override_settings

    override = override_settings(
        SECURE_SSL_REDIRECT=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session", autouse=True)
def _evidence_files_in_a_temporary_folder(tmp_path_factory):
    """Evidence files that tests upload go to a folder of the session's own, never media/."""
    from django.test import override_settings

    override = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media")))
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session", autouse=True)
def _a_cache_of_each_workers_own():
    """With CACHE_URL=redis://... (CI runs the suite on the real Redis server), each xdist
    worker uses a database of its own on it, so that one worker clearing its cache between
    tests never empties another's."""
    import os

    from django.conf import settings
    from django.test import override_settings

    cache = settings.CACHES["default"]
    if "redis" not in cache["BACKEND"].lower():  # also tracker.cache_backends.CountedRedisCache
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base = cache["LOCATION"].rsplit("/", 1)[0] if cache["LOCATION"].count("/") > 2 else cache["LOCATION"]
    override = override_settings(CACHES={"default": {**cache, "LOCATION": f"{base}/{1 + int(worker[2:])}"}})
    override.enable()
    yield
    override.disable()


@pytest.fixture(autouse=True)
def _an_empty_cache(_a_cache_of_each_workers_own):
    """Each test starts with nothing kept: the data a kept fragment came from is gone with
    the previous test's transaction."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the seed data once per test database; each test's transaction rolls back
    to it. (Transactional tests, which pytest-django runs last, flush the database
    and reload what they need: see tests/browser/conftest.py.)"""
    from recommendations.seeding import seed

    with django_db_blocker.unblock():
        seed()


@pytest.fixture
def seeded(db):
    """Marks a test that relies on the seed data (loaded once, in django_db_setup)."""


@pytest.fixture
def org_a(seeded):
    """Inverclyde Alliance: one of the 32 CPPs."""
    return Owner.objects.get(slug="inverclyde-alliance")


@pytest.fixture
def org_b(seeded):
    """The Scottish Government (formerly the Scottish Executive)."""
    return Owner.objects.get(slug="scottish-government")


def _make_user(django_user_model, username, role, organisations=(), **extra):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
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
