"""Backups restore everything: the seeded publications plus updates recorded since,
into an empty database, compared row by row.

- ``dumpdata``/``loaddata`` (database-independent, natural keys for content types,
  permissions and groups), restored into a fresh database by a separate process,
  as README.md's "Backups" section says; runs on SQLite and on PostgreSQL.
- ``pg_dump -Fc``/``pg_restore`` on PostgreSQL runs (on SQLite there is nothing to
  pg_dump: skipped with the reason printed, and under CI=true the PostgreSQL pass
  runs it — a missing pg_dump there is a failure, not a skip).
"""

import datetime
import json
import os
import re
import shutil
import subprocess

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from bench.load.server import ROOT, drop_postgres_database, manage, production_env, recreate_postgres_database
from recommendations.models import Recommendation, Status
from recommendations.services import progress_update_create
from tests.conftest import _make_user
from tests.scratch_db import ON_POSTGRES, scratch_database_url
from tracker.roles import AUDITOR

IN_CI = os.environ.get("CI", "").lower() == "true"
# As documented in README.md: what migrate recreates, and what is only transient.
DUMP_ARGS = [
    "--natural-foreign",
    "--natural-primary",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
]


def _record_new_history(django_user_model):
    """What a backup taken today must carry beyond the seed: new updates by a real user."""
    auditor = _make_user(django_user_model, "backup-auditor", AUDITOR)
    recs = list(Recommendation.objects.filter(report__slug="community-planning-update-2016")[:3])
    for rag, rec in zip((Status.RED, Status.AMBER, Status.GREEN), recs, strict=True):
        progress_update_create(
            recommendation=rec,
            rag=rag,
            summary=f"Backed-up assessment: <em>{rag.label}</em> & more",
            assessed_on=datetime.date(2024, 2, 29),
            evidence=[{"section": "Key message", "paragraphs": ["23", "24"], "page": 14}],
            author=auditor,
        )
    return recs


def _rows(dump: list[dict]) -> dict[tuple, dict]:
    """(model, primary or natural key) -> fields, for every object in a dump. Many-to-many
    values are sets: dumpdata lists them in whatever order the database returns."""
    rows = {}
    for obj in dump:
        natural = obj["fields"].get("username") or obj["fields"].get("name")  # --natural-primary: no pk
        key = (obj["model"], obj["pk"] if "pk" in obj else natural)
        assert key not in rows, key
        model = apps.get_model(obj["model"])
        rows[key] = {
            name: sorted(map(json.dumps, value)) if model._meta.get_field(name).many_to_many else _instant(value)
            for name, value in obj["fields"].items()
        }
    return rows


def _instant(value):
    """JSON keeps times to the millisecond: a time less than 1 ms past a whole second is written
    "…:32.000Z", and read back it is "…:32Z", the same instant (it failed 1 run in about 20)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", value):
        return value[:-5] + "Z"
    return value


def test_dumpdata_round_trips_every_row_into_an_empty_database(tmp_path, seeded, django_user_model):
    _record_new_history(django_user_model)
    backup = tmp_path / "backup.json"
    call_command("dumpdata", *DUMP_ARGS, output=str(backup), verbosity=0)
    original = _rows(json.loads(backup.read_text()))

    restore_url = scratch_database_url(tmp_path, "restore")
    if ON_POSTGRES:
        recreate_postgres_database(restore_url)
    try:
        env = production_env(restore_url, tmp_path / "static")
        manage(env, "migrate", "--no-input")
        manage(env, "loaddata", str(backup))
        again = tmp_path / "again.json"
        manage(env, "dumpdata", *DUMP_ARGS, "--output", str(again))
        restored = _rows(json.loads(again.read_text()))
    finally:
        if ON_POSTGRES:
            drop_postgres_database(restore_url)

    assert restored.keys() == original.keys()
    different = {
        key: {f: (v, restored[key].get(f)) for f, v in original[key].items() if restored[key].get(f) != v}
        for key in original
        if original[key] != restored[key]
    }
    assert different == {}

    # Every table of the project's apps has all its rows in the backup.
    counted = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.app_label in ("contenttypes", "sessions") or label == "auth.permission":
            continue
        if model._meta.auto_created:
            continue  # many-to-many rows travel inside their owners' objects
        counted[label] = model._default_manager.count()
        assert sum(1 for m, _ in original if m == label) == counted[label], label
    assert counted["recommendations.progressupdate"] > 0 and counted["recommendations.recommendation"] > 0
    print(
        f"Backup: dumpdata/loaddata restored {len(original)} objects in {len(counted)} tables, all identical", counted
    )


def _table_fingerprints(database_url: str) -> dict[str, tuple[int, str]]:
    """Per table in the public schema: (row count, md5 of all its rows in a fixed order)."""
    import psycopg2

    with psycopg2.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [name for (name,) in cursor.fetchall()]
        fingerprints = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quoted} t"  # noqa: S608 - table names from pg_tables
            )
            fingerprints[table] = cursor.fetchone()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename"
        )
        fingerprints["(sequences)"] = (0, json.dumps(cursor.fetchall()))
    conn.close()
    return fingerprints


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump/pg_restore back up PostgreSQL; this run is on SQLite")
def test_pg_dump_and_pg_restore_round_trip_every_row(tmp_path, transactional_db, django_user_model):
    """Committed data (a transactional test: pg_dump sees only what is committed)."""
    from recommendations.seeding import seed

    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            message = f"{tool} is not installed (Debian: apt-get install postgresql-client)"
            pytest.fail(message) if IN_CI else pytest.skip(message)
    seed()
    _record_new_history(django_user_model)

    source = connection.settings_dict
    source_url = (
        f"postgres://{source['USER']}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{source['NAME']}"
    )
    restore_url = scratch_database_url(tmp_path, "pgrestore")
    archive = tmp_path / "tracker.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={archive}", source_url], check=True, cwd=ROOT)
    recreate_postgres_database(restore_url)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restore_url}", str(archive)], check=True
        )
        original, restored = _table_fingerprints(source_url), _table_fingerprints(restore_url)
    finally:
        drop_postgres_database(restore_url)
    assert restored == original
    assert original["recommendations_progressupdate"][0] > 0
    rows = sum(count for count, _ in original.values())
    print(f"Backup: pg_dump/pg_restore restored {len(original) - 1} tables, {rows} rows, identical")
