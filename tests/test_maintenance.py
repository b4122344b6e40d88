"""`manage.py maintenance`: the retention policy (tracker.retention), run daily.

Sign-in records older than TRACKER_RETENTION_SIGN_IN_DAYS go, younger ones stay; expired
sessions go, live ones stay; the audit trail (progress updates, the admin's change history)
is never touched. A second run removes nothing more, and each run is logged and recorded.
"""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from recommendations.models import ProgressUpdate, Recommendation, Status
from recommendations.services import progress_update_create
from tracker.models import MaintenanceRun

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _aged(model, age: timedelta, **fields):
    """A sign-in record last touched ``age`` ago (attempt_time is auto_now_add: set afterwards)."""
    defaults = {"user_agent": "Firefox", "ip_address": "192.0.2.7", "http_accept": "*/*", "path_info": "/login"}
    if model is AccessAttempt:
        defaults.update(get_data="", post_data="", failures_since_start=1)
    record = model.objects.create(**{**defaults, **fields})
    model.objects.filter(pk=record.pk).update(attempt_time=timezone.now() - age)
    return record


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["who"] = "someone"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def _run(capsys=None) -> str:
    call_command("maintenance")
    return capsys.readouterr().out if capsys else ""


@pytest.mark.parametrize("model", [AccessLog, AccessAttempt, AccessFailureLog])
def test_sign_in_records_older_than_the_policy_go_and_younger_ones_stay(model, settings):
    assert settings.TRACKER_RETENTION_SIGN_IN_DAYS == 90  # the documented default
    old = _aged(model, 90 * DAY + timedelta(minutes=5), username="left-long-ago")
    young = _aged(model, 89 * DAY, username="still-recent")
    today = _aged(model, timedelta(minutes=1), username="just-now")

    call_command("maintenance", verbosity=0)

    assert set(model.objects.values_list("username", flat=True)) == {"still-recent", "just-now"}
    assert not model.objects.filter(pk=old.pk).exists()
    assert {young.pk, today.pk} <= set(model.objects.values_list("pk", flat=True))


def test_the_retention_period_follows_the_setting(settings):
    settings.TRACKER_RETENTION_SIGN_IN_DAYS = 30
    _aged(AccessLog, 31 * DAY, username="month-old")
    _aged(AccessLog, 29 * DAY, username="weeks-old")

    call_command("maintenance", verbosity=0)

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["weeks-old"]


def test_expired_sessions_go_and_live_ones_stay():
    expired = _session(-timedelta(seconds=1))
    live = _session(timedelta(hours=1))

    call_command("maintenance", verbosity=0)

    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert not Session.objects.filter(session_key=expired).exists()


def test_the_audit_trail_is_kept_however_old(seeded, auditor):
    recommendation = Recommendation.objects.order_by("pk").first()
    update = progress_update_create(
        recommendation=recommendation,
        rag=Status.AMBER,
        summary="Partly done",
        assessed_on=timezone.localdate() - 3650 * DAY,
        author=auditor,
    )
    ProgressUpdate.objects.filter(pk=update.pk).update(created=timezone.now() - 3650 * DAY)
    entry = LogEntry.objects.create(
        user=auditor,
        content_type=ContentType.objects.get_for_model(Recommendation),
        object_id=str(recommendation.pk),
        object_repr="old change",
        action_flag=ADDITION,
    )
    LogEntry.objects.filter(pk=entry.pk).update(action_time=timezone.now() - 3650 * DAY)
    updates, entries = ProgressUpdate.objects.count(), LogEntry.objects.count()

    call_command("maintenance", verbosity=0)

    assert ProgressUpdate.objects.count() == updates
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()
    assert LogEntry.objects.count() == entries


def test_a_second_run_removes_nothing_more_and_every_run_is_recorded_and_logged(capsys, caplog):
    _aged(AccessLog, 100 * DAY, username="old")
    _aged(AccessAttempt, 100 * DAY, username="old")
    _aged(AccessLog, DAY, username="new")
    _session(-timedelta(hours=1))

    with caplog.at_level(logging.INFO, logger="tracker.maintenance"):
        first = _run(capsys)
        second = _run(capsys)

    assert "sign in records: 1 removed, sign in attempts: 1 removed" in first
    assert "expired sessions: 1 removed" in first
    assert second == (
        "sign in records: 0 removed, sign in attempts: 0 removed, sign in failures: 0 removed, "
        "expired sessions: 0 removed\n"
    )
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["new"]
    runs = list(MaintenanceRun.objects.order_by("started_at"))
    assert [(run.succeeded, run.removed["sign_in_records"], run.removed["expired_sessions"]) for run in runs] == [
        (True, 1, 1),
        (True, 0, 0),
    ]
    assert all(run.finished_at >= run.started_at for run in runs)
    lines = [record for record in caplog.records if record.name == "tracker.maintenance"]
    assert [(r.getMessage(), r.audit["sign_in_records"], r.audit["sign_in_attempts"]) for r in lines] == [
        ("maintenance", 1, 1),
        ("maintenance", 0, 0),
    ]


def test_a_failed_run_is_recorded_as_unfinished_logged_and_exits_non_zero(monkeypatch, caplog):
    def broken(*, now):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tracker.management.commands.maintenance.retention_apply", broken)
    with caplog.at_level(logging.ERROR, logger="tracker.maintenance"), pytest.raises(RuntimeError):
        call_command("maintenance", verbosity=0)

    run = MaintenanceRun.objects.get()
    assert run.succeeded is False and run.finished_at is not None
    assert [r.getMessage() for r in caplog.records if r.name == "tracker.maintenance"] == ["maintenance_failed"]
