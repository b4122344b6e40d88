"""Error reporting (tracker.sentry): off without SENTRY_DSN; with it, an error reaches Sentry
with no password, cookie, request body, e-mail or IP address in the event, and the username
only as a keyed hash.

A fake DSN and a transport that keeps each envelope instead of sending it: the event is
exactly what would leave the server.
"""

import json
import logging

import pytest
import sentry_sdk
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory
from sentry_sdk.transport import Transport

from tests.conftest import PASSWORD
from tracker.audit import audit
from tracker.sentry import sentry_init, user_hash

pytestmark = pytest.mark.django_db

FAKE_DSN = "https://0123456789abcdef0123456789abcdef@sentry.invalid/42"
SECRET = "hunter2-the-submitted-secret"
CSRF = "C" * 32  # a well-formed token, sent as cookie and header, as a browser's form post does
COOKIE = "sessioncookie-secret-value"


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self):
        return [item.payload.json for env in self.envelopes for item in env.items if item.type == "event"]


@pytest.fixture
def sentry(settings):
    settings.ROOT_URLCONF = "tests.urls"  # with /__test__/500/, a view that raises
    transport = CapturingTransport()
    sentry_init(dsn=FAKE_DSN, environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)  # off again, as without SENTRY_DSN
    assert not sentry_sdk.get_client().is_active()


def wsgi(method: str, path: str, *, cookies: dict, data=None, **headers) -> str:
    """The request through Django's WSGI handler, as gunicorn calls it (Sentry's request data
    comes from its WSGI middleware, which the test client skips); returns the status line.
    As the test client does, database connections are not closed at the end of the request:
    they hold the test's transaction."""
    factory = RequestFactory()
    for name, value in cookies.items():
        factory.cookies[name] = value
    environ = getattr(factory, method)(path, data or {}, **headers).environ
    statuses = []
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return statuses[0]


def test_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


def test_an_error_is_captured_without_password_cookie_body_or_username(sentry, client, officer_a):
    client.force_login(officer_a)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    status = wsgi(
        "post",
        "/__test__/500/?q=officer-a+search",
        cookies={settings.SESSION_COOKIE_NAME: session, "tracker_pref": COOKIE, settings.CSRF_COOKIE_NAME: CSRF},
        data={"username": officer_a.username, "password": SECRET, "note": "a free-text body"},
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_CSRFTOKEN=CSRF,
        REMOTE_ADDR="198.51.100.4",
    )
    assert status.startswith("500")

    [event] = sentry.events()
    raw = json.dumps(event)
    assert event["exception"]["values"][0]["type"] == "RuntimeError"  # the error itself is there
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/__test__/500/")
    for secret in (SECRET, PASSWORD, COOKIE, CSRF, session, "a free-text body", "officer-a", "sessionid", "csrftoken"):
        assert secret not in raw, secret
    for address in ("203.0.113.9", "198.51.100.4"):
        assert address not in raw
    assert "data" not in event["request"] and "cookies" not in event["request"]
    assert not {"Cookie", "Authorization", "X-Forwarded-For"} & set(event["request"].get("headers", {}))
    assert event["user"] == {"id": user_hash("officer-a")}  # one person's repeated errors can be told apart
    assert "vars" not in json.dumps(event["exception"])  # no local variables from the stack


def test_audit_log_lines_never_become_breadcrumbs(sentry):
    """The audit log and django-axes name people and their addresses; Sentry keeps recent
    log lines as breadcrumbs for the next error unless they are dropped."""
    audit("sign_in", user="officer-a", ip="198.51.100.4")
    logging.getLogger("axes.handlers.database").warning(
        "AXES: Locking out %s after repeated login failures.", '{username: "officer-a", ip_address: "198.51.100.4"}'
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sentry_sdk.capture_exception()

    [event] = sentry.events()
    assert event["exception"]["values"][0]["value"] == "boom"
    # Everything but the stack trace, whose source lines are this test's own code.
    raw = json.dumps({key: value for key, value in event.items() if key != "exception"})
    assert "officer-a" not in raw and "198.51.100.4" not in raw
