"""A database of a test's own, for tests that run the project in another process
(gunicorn, loaddata into an empty database): on the same server as the test database
when that is PostgreSQL (named per xdist worker), otherwise a SQLite file in tmp_path."""

import os

from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def scratch_database_url(tmp_path, suffix: str) -> str:
    if ON_POSTGRES:
        base = settings.DATABASES["default"]
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"test_{base['NAME']}_{suffix}_{worker}"
        return f"postgres://{base['USER']}@{base['HOST'] or '127.0.0.1'}:{base['PORT'] or 5432}/{name}"
    return f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}"
