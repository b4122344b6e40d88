"""Error reporting to Sentry, with personal data scrubbed (#22).

Only when settings.SENTRY_DSN is set. What leaves the server:

- the exception, its stack trace (without local variables), the URL path and method, the
  view, the release and environment;
- the user as a hash of the username (keyed by SECRET_KEY, so it cannot be reversed by
  hashing a list of names), enough to tell one person's repeated errors from many people's.

What never does: request bodies (form fields, passwords, uploads), cookies, the
Authorization and CSRF headers, query strings (searches may name people), IP addresses,
e-mail addresses, usernames, and log lines from the audit log (which name people) as
breadcrumbs.
"""

import hashlib
import hmac
from fnmatch import fnmatch

import sentry_sdk
from django.conf import settings
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import ignore_logger

_SAFE_HEADERS = {"Accept", "Accept-Language", "Content-Type", "Content-Length", "Host", "User-Agent", "Referer"}
# Loggers whose lines name people or their addresses (django-axes writes both into its messages).
_NOISY_LOGGERS = ("tracker.audit", "axes", "axes.*", "django.security.*")


def user_hash(username: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), username.encode(), hashlib.sha256).hexdigest()[:16]


def scrub_event(event, hint=None):
    """``before_send``: strips personal data from an event, whatever the SDK added."""
    request = event.get("request")
    if request:
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {name: value for name, value in headers.items() if name.title() in _SAFE_HEADERS}
        if "url" in request:
            request["url"] = request["url"].split("?", 1)[0]
    user = event.get("user")
    if user:
        username = user.get("username") or user.get("id")
        event["user"] = {"id": user_hash(str(username))} if username else {}
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
    event.pop("server_name", None)
    return event


def scrub_breadcrumb(crumb, hint=None):
    """``before_breadcrumb``: no SQL parameters, no audit log lines (they name people)."""
    category = crumb.get("category") or ""
    if any(fnmatch(category, pattern) for pattern in _NOISY_LOGGERS):
        return None
    crumb.pop("data", None)
    return crumb


def sentry_init(*, dsn: str, environment: str, transport=None) -> None:
    """Called from settings when SENTRY_DSN is set (tests pass a capturing ``transport``)."""
    for name in _NOISY_LOGGERS:
        ignore_logger(name)
    options = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0,
        **options,
    )


class SentryUserMiddleware:
    """Tells Sentry who was signed in, as the username (hashed by scrub_event before any event
    leaves). Does nothing when error reporting is off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if sentry_sdk.get_client().is_active():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                sentry_sdk.set_user({"username": user.get_username()})
        return self.get_response(request)
