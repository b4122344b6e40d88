import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from recommendations.management.commands.demo_users import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def authenticate(**credentials):
    """Sign in as the sign-in page does: with a request (login throttling needs one)."""
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_refuses_with_debug_off(settings, seeded):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_users")


def test_creates_documented_accounts_with_roles_and_organisations(settings, seeded):
    settings.DEBUG = True
    call_command("demo_users")
    call_command("demo_users")  # twice is harmless
    expected = {
        "auditor": ("Auditor", set()),
        "officer-inverclyde": ("Officer", {"Inverclyde Alliance"}),
        "officer-scotgov": ("Officer", {"Scottish Government"}),
        "admin": ("Admin", set()),
    }
    for username, (role, organisations) in expected.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert [g.name for g in user.groups.all()] == [role]
        assert {o.name for o in user.organisations.all()} == organisations
    assert authenticate(username="admin", password=DEMO_PASSWORD).is_staff


def test_force_allows_debug_off(settings, seeded):
    settings.DEBUG = False
    call_command("demo_users", "--force")
    assert authenticate(username="auditor", password=DEMO_PASSWORD)
