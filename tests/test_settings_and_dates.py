import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.settings_probe import read_settings
from tracker.dates import DatePrecision, format_partial_date, iso_partial_date, parse_partial_date, period_end
from tracker.env import env_bool, env_int, env_list


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_env_bool_rejects_malformed_value(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_int_and_list_reject_malformed_values(monkeypatch):
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_LIST", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="X_LIST"):
        env_list("X_LIST", [])
    monkeypatch.setenv("X_LIST", "a.example, b.example")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def _settings_import(**env):
    return read_settings("DEBUG", "DATABASES", **env)


def test_settings_default_to_sqlite_and_debug_off():
    result = _settings_import()
    assert result.returncode == 0, result.stderr
    # Django's SQLite backend, wrapped by django-prometheus to count queries (#22).
    assert result.stdout.startswith("False ") and "'django_prometheus.db.backends.sqlite3'" in result.stdout


def test_database_url_selects_postgresql():
    result = _settings_import(DATABASE_URL="postgres://postgres@127.0.0.1:5432/tracker", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True ") and "'django_prometheus.db.backends.postgresql'" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "perhaps"}, "DJANGO_DEBUG"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": "example.org,"}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_malformed_settings_fail_with_a_clear_error(env, message):
    result = _settings_import(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


@pytest.mark.parametrize(
    ("raw", "date", "precision", "shown"),
    [
        ("2016-03-03", datetime.date(2016, 3, 3), DatePrecision.DAY, "3 March 2016"),
        ("2018-07", datetime.date(2018, 7, 1), DatePrecision.MONTH, "July 2018"),
        ("2006", datetime.date(2006, 1, 1), DatePrecision.YEAR, "2006"),
    ],
)
def test_partial_dates_never_invent_a_day(raw, date, precision, shown):
    assert parse_partial_date(raw) == (date, precision)
    assert format_partial_date(date, precision) == shown
    assert iso_partial_date(date, precision) == raw


def test_period_end_covers_the_whole_period():
    assert period_end(datetime.date(2016, 2, 1), DatePrecision.MONTH) == datetime.date(2016, 2, 29)
    assert period_end(datetime.date(2006, 1, 1), DatePrecision.YEAR) == datetime.date(2006, 12, 31)


@pytest.mark.parametrize("raw", ["2018-7", "July 2018", "18-07-01", ""])
def test_malformed_partial_dates_are_rejected(raw):
    with pytest.raises(ValueError):
        parse_partial_date(raw)
