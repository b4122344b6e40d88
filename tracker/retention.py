"""The retention policy (settings ``TRACKER_RETENTION_*``), applied by ``manage.py maintenance``.

Removed:

- sign-in records (django-axes' ``AccessLog``: successful sign-ins with IP address and
  browser; ``AccessAttempt``: failed ones, per username and address; ``AccessFailureLog``)
  last touched more than ``TRACKER_RETENTION_SIGN_IN_DAYS`` days ago;
- sessions that have expired (a signed-out or timed-out visitor's session row).

Kept: recommendations, progress updates and the admin's change history, the audit
trail of who assessed what and when.
"""

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction


def retention_cutoffs(*, now: datetime) -> dict[str, datetime]:
    """The moment before which each kind of record goes."""
    sign_in = now - timedelta(days=settings.TRACKER_RETENTION_SIGN_IN_DAYS)
    return {
        "sign_in_records": sign_in,
        "sign_in_attempts": sign_in,
        "sign_in_failures": sign_in,
        "expired_sessions": now,
    }


@transaction.atomic
def retention_apply(*, now: datetime) -> dict[str, int]:
    """Remove what the policy no longer keeps; returns how many rows of each kind went.
    Idempotent: a second run at the same moment removes nothing."""
    cutoff = retention_cutoffs(now=now)
    querysets = {
        "sign_in_records": AccessLog.objects.filter(attempt_time__lt=cutoff["sign_in_records"]),
        "sign_in_attempts": AccessAttempt.objects.filter(attempt_time__lt=cutoff["sign_in_attempts"]),
        "sign_in_failures": AccessFailureLog.objects.filter(attempt_time__lt=cutoff["sign_in_failures"]),
        "expired_sessions": Session.objects.filter(expire_date__lt=cutoff["expired_sessions"]),
    }
    removed = {}
    for kind, queryset in querysets.items():
        _, per_model = queryset.delete()
        removed[kind] = per_model.get(queryset.model._meta.label, 0)
    return removed
