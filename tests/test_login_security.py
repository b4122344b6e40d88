"""Sign-in throttling (django-axes) and session cookies, through the client.

Failures are counted per username at one client address: AXES_FAILURE_LIMIT of
them lock that pair out for AXES_COOLOFF_TIME, and the sign-in page is then
replaced by a lockout page (HTTP 429) that reads the same for every username.
"""

import datetime
import logging
import re

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.settings_probe import read_settings

pytestmark = pytest.mark.django_db

LIMIT = 5
COOLOFF = datetime.timedelta(minutes=15)
LOGIN = reverse("login")
GENERIC_ERROR = "Enter a correct username and password. Both are case-sensitive."


@pytest.fixture(autouse=True)
def _throttle(settings):
    """Pin the documented defaults, whatever the environment says."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOLOFF


def _sign_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _fail(client, username, times, **extra):
    return [_sign_in(client, username, "not-the-password", **extra) for _ in range(times)]


def _signed_in(client) -> bool:
    return SESSION_KEY in client.session


def _normalised(response, username) -> str:
    """The page with what legitimately differs between two requests blanked out:
    the CSRF token and the username echoed back into the form."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', page)
    return page.replace(f'value="{username}"', 'value=""')


def _assert_lockout_page(response, username):
    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    assert "base.html" in [t.name for t in response.templates]  # the site's own layout
    page = response.content.decode()
    assert "<title>Too many sign-in attempts – Recommendation Tracker</title>" in page
    assert "Wait 15 minutes, then try again." in page
    assert username not in page


def test_failures_below_the_limit_show_the_sign_in_page_again(client, auditor):
    for response in _fail(client, auditor.username, LIMIT - 1):
        assert response.status_code == 200
        assert GENERIC_ERROR in response.content.decode()
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302


def test_limit_failures_lock_the_account_and_the_right_password_is_then_refused(client, auditor):
    *_, last = _fail(client, auditor.username, LIMIT)
    _assert_lockout_page(last, auditor.username)

    response = _sign_in(client, auditor.username, PASSWORD)
    _assert_lockout_page(response, auditor.username)
    assert not _signed_in(client)


def test_the_right_password_works_again_after_the_cool_off(client, auditor):
    _fail(client, auditor.username, LIMIT)
    # Move the failures back in time: a minute before the cool-off ends, still locked out,
    # and that attempt starts the cool-off again (as the lockout page warns).
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOLOFF + datetime.timedelta(minutes=1))
    _assert_lockout_page(_sign_in(client, auditor.username, PASSWORD), auditor.username)
    assert AccessAttempt.objects.get().attempt_time > timezone.now() - datetime.timedelta(minutes=1)

    # Once the cool-off has passed, sign-in works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - COOLOFF - datetime.timedelta(seconds=1))
    response = _sign_in(client, auditor.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in(client)


def test_an_administrator_can_lift_a_lockout_early(client, auditor):
    _fail(client, auditor.username, LIMIT)
    assert reset(username=auditor.username) == 1  # what `manage.py axes_reset_username` does
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_count(client, auditor):
    _fail(client, auditor.username, LIMIT - 1)
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()

    for response in _fail(client, auditor.username, LIMIT - 1):
        assert response.status_code == 200  # counting from zero again, not from LIMIT - 1
    _assert_lockout_page(_fail(client, auditor.username, 1)[0], auditor.username)


def test_unknown_username_gets_the_same_response_as_a_wrong_password(client, auditor):
    wrong_password = _sign_in(client, auditor.username, "not-the-password")
    unknown_user = _sign_in(client, "nobody-by-this-name", "not-the-password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert GENERIC_ERROR in wrong_password.content.decode()
    assert _normalised(wrong_password, auditor.username) == _normalised(unknown_user, "nobody-by-this-name")


def test_lockout_page_is_the_same_for_known_and_unknown_usernames(client, auditor):
    *_, known = _fail(client, auditor.username, LIMIT)
    *_, unknown = _fail(client, "nobody-by-this-name", LIMIT)
    _assert_lockout_page(known, auditor.username)
    _assert_lockout_page(unknown, "nobody-by-this-name")
    assert known.content == unknown.content


def test_lockout_is_per_username_at_one_address(client, auditor, officer_a):
    """Why username + address: guessing one account's password from one address is
    stopped, yet the attacker cannot lock the real user out from elsewhere, nor
    lock out other accounts by failing on one."""
    _fail(client, auditor.username, LIMIT, REMOTE_ADDR="203.0.113.9")
    _assert_lockout_page(_sign_in(client, auditor.username, PASSWORD, REMOTE_ADDR="203.0.113.9"), auditor.username)

    assert _sign_in(client, officer_a.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302
    client.logout()
    assert _sign_in(client, auditor.username, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_lockout_is_logged(client, auditor, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        _fail(client, auditor.username, LIMIT)
    lockouts = [r for r in caplog.records if r.name.startswith("axes") and "Locking out" in r.getMessage()]
    assert len(lockouts) == 1
    assert lockouts[0].levelno == logging.WARNING
    assert PASSWORD not in caplog.text and "not-the-password" not in caplog.text


def test_session_cookie_is_http_only_same_site_and_ends_after_a_working_day(client, auditor):
    response = _sign_in(client, auditor.username, PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 12 * 60 * 60
    assert bool(cookie["secure"]) is django_settings.SESSION_COOKIE_SECURE

    csrf = client.get(LOGIN).cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"] == "Lax"


def test_secure_cookies_follow_debug_unless_overridden():
    def cookie_settings(**env):
        names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME")
        result = read_settings(*names, **env)
        return result.returncode, result.stdout.strip(), result.stderr

    assert cookie_settings()[:2] == (0, "True True 5 0:15:00")
    assert cookie_settings(DJANGO_DEBUG="1")[:2] == (0, "False False 5 0:15:00")
    assert cookie_settings(DJANGO_DEBUG="1", DJANGO_SECURE_COOKIES="1")[1].startswith("True True")
    assert cookie_settings(DJANGO_LOGIN_FAILURE_LIMIT="3", DJANGO_LOGIN_COOLOFF_MINUTES="60")[1].endswith("3 1:00:00")
    returncode, _, stderr = cookie_settings(DJANGO_LOGIN_COOLOFF_MINUTES="0")
    assert returncode != 0 and "DJANGO_LOGIN_COOLOFF_MINUTES" in stderr


def test_session_key_changes_at_sign_in(client, auditor):
    before = client.session  # an anonymous session, as a fixation attacker would plant
    before["planted"] = True
    before.save()
    old_key = before.session_key

    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    assert _signed_in(client)


# --- Sessions after sign-in, and the audit log of sign-in attacks (#9) ---------


def _cookie_client(session_key: str):
    from django.test import Client

    other = Client()
    other.cookies[django_settings.SESSION_COOKIE_NAME] = session_key
    return other


def test_a_signed_out_session_cookie_no_longer_works(client, auditor):
    """Someone who copied the cookie (a shared computer, a stolen laptop) gets nothing
    once the user has signed out: the session is deleted on the server."""
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302
    stolen = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert _cookie_client(stolen).get(reverse("recommendations:list")).status_code == 200

    assert client.post(reverse("logout")).status_code == 302
    assert not SessionStore().exists(stolen)
    response = _cookie_client(stolen).get(reverse("recommendations:list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_deactivated_users_session_stops_working_at_once(client, auditor):
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302
    assert client.get(reverse("recommendations:list")).status_code == 200

    auditor.is_active = False
    auditor.save(update_fields=["is_active"])
    response = client.get(reverse("recommendations:list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    # and signing in again is refused, with the same message as a wrong password
    response = _sign_in(client, auditor.username, PASSWORD)
    assert response.status_code == 200 and GENERIC_ERROR in response.content.decode()


def test_a_password_reset_by_an_admin_ends_the_users_other_sessions(client, auditor):
    assert _sign_in(client, auditor.username, PASSWORD).status_code == 302
    auditor.set_password("a-new-passphrase-from-the-admin")
    auditor.save()
    response = client.get(reverse("recommendations:list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_lockout_is_in_the_audit_log_with_who_and_where(client, auditor, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.audit"):
        _fail(client, auditor.username, LIMIT, REMOTE_ADDR="203.0.113.9")
        _sign_in(client, auditor.username, PASSWORD, REMOTE_ADDR="203.0.113.9")  # refused: still locked out
    events = [(r.getMessage(), r.audit) for r in caplog.records if r.name == "tracker.audit"]
    # django-axes counts the failure (and locks out) before the audit log records it.
    assert [e for e, _ in events] == ["sign_in_failed"] * (LIMIT - 1) + ["lockout", "sign_in_failed"] * 2
    assert all(fields == {"user": auditor.username, "ip": "203.0.113.9"} for _, fields in events)
    assert PASSWORD not in caplog.text and "not-the-password" not in caplog.text
