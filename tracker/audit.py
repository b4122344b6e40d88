"""The audit log: who did what, when, as one ``key=value`` line per event.

Events go to the ``tracker.audit`` logger (settings.LOGGING prints them on
stderr, which gunicorn and any container runtime collect):

- ``sign_in``, ``sign_in_failed``, ``sign_out`` (Django's auth signals);
- ``lockout`` (django-axes' ``user_locked_out`` signal);
- ``forbidden`` (every 403 response, from ``AuditMiddleware``);
- ``progress_update`` (from ``recommendations.services``, once committed).

Values that a user typed (a username, a path) are quoted and escaped, so
nobody can forge a log line by putting a newline into a form field. Passwords
are never logged: Django hands the failure signal cleansed credentials, and
only the username is read from them.
"""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("tracker.audit")


def audit(event: str, *, level: int = logging.INFO, **fields) -> None:
    """Log one audit event; ``fields`` are the who and what (the formatter adds when)."""
    logger.log(level, event, extra={"audit": fields})


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _username(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


@receiver(user_logged_in, dispatch_uid="tracker.audit.sign_in")
def _signed_in(sender, request, user, **kwargs):
    audit("sign_in", user=_username(user), ip=_client_ip(request))


@receiver(user_logged_out, dispatch_uid="tracker.audit.sign_out")
def _signed_out(sender, request, user, **kwargs):
    audit("sign_out", user=_username(user), ip=_client_ip(request))


@receiver(user_login_failed, dispatch_uid="tracker.audit.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    audit("sign_in_failed", level=logging.WARNING, user=credentials.get("username", ""), ip=_client_ip(request))


@receiver(user_locked_out, dispatch_uid="tracker.audit.lockout")
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit("lockout", level=logging.WARNING, user=username or "", ip=ip_address or "")


class AuditMiddleware:
    """Logs every 403 (permission denied, CSRF failure, no role) with who asked for what.

    Placed just inside SecurityMiddleware so that it sees responses from every
    later middleware, including CSRF rejections."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            audit(
                "forbidden",
                level=logging.WARNING,
                user=_username(getattr(request, "user", None)),
                ip=_client_ip(request),
                method=request.method,
                path=request.path,
            )
        return response
