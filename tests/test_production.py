"""Production settings, for real: `check --deploy` is clean, and gunicorn with DEBUG
off serves pages (after signing in through the real form), static files through
WhiteNoise with long cache headers, and /healthz, which checks the database.

gunicorn runs on plain http at 127.0.0.1 (as behind a TLS-terminating proxy), so
it is started with DJANGO_SECURE_SSL_REDIRECT=0 and DJANGO_SECURE_COOKIES=0:
`requests`, like a browser, never sends a Secure cookie back over http. Its
database is its own: a PostgreSQL database named after the test database when
the suite runs on PostgreSQL, else a SQLite file.
"""

import csv
import io
import os
import re
import secrets
import subprocess
import sys

import pytest
import requests

from bench.load.server import (
    ROOT,
    drop_postgres_database,
    gunicorn,
    manage,
    production_env,
    recreate_postgres_database,
)
from recommendations.management.commands.demo_users import DEMO_PASSWORD
from tests.scratch_db import ON_POSTGRES, scratch_database_url


def _production_check_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="tracker.example.gov.scot",
        DATABASE_URL="postgres://tracker:secret@db.internal:5432/tracker",
    )
    env.update(extra)
    return env


def _check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_environment_variables():
    result = _check_deploy(_production_check_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_without_a_real_secret_key():
    """The documented failure mode: forgetting DJANGO_SECRET_KEY is caught before serving."""
    env = _production_check_env()
    del env["DJANGO_SECRET_KEY"]
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """gunicorn with production settings over a migrated, seeded database with the demo
    accounts; yields (base URL, the gunicorn log file)."""
    tmp_path = tmp_path_factory.mktemp("production")
    database_url = scratch_database_url(tmp_path, "gunicorn")
    if ON_POSTGRES:
        recreate_postgres_database(database_url)
    env = production_env(database_url, tmp_path / "static")
    manage(env, "migrate", "--no-input")
    manage(env, "seed")
    manage(env, "demo_users", "--force")
    manage(env, "collectstatic", "--no-input")
    log_path = tmp_path / "gunicorn.log"
    try:
        with log_path.open("w") as log, gunicorn(env, workers=2, threads=2, log=log) as base_url:
            yield base_url, log_path
    finally:
        if ON_POSTGRES:
            drop_postgres_database(database_url)


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _sign_in(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base_url}/accounts/login/", timeout=30)
    assert form.status_code == 200
    response = session.post(
        f"{base_url}/accounts/login/",
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": _csrf_token(form.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    return session


def test_gunicorn_serves_signed_in_pages_with_production_headers(production_server):
    base_url, log_path = production_server
    session = _sign_in(base_url, "auditor")
    for path, expected in [
        ("/", "Recommendation Tracker"),
        ("/recommendations/", "Recommendations"),
        ("/reports/community-planning-update-2016/", "Community planning"),
        ("/reports/community-planning-update-2016/appendix/", "Progress"),
        ("/owners/inverclyde-alliance/", "Inverclyde Alliance"),
    ]:
        response = session.get(base_url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        assert expected in response.text, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"

    export = session.get(f"{base_url}/recommendations/?_export=csv", timeout=60)
    assert export.status_code == 200
    header = next(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert header[:4] == ["Report", "Published", "Number", "Recommendation"]

    missing = session.get(f"{base_url}/no-such-page/", timeout=30)
    assert missing.status_code == 404
    assert "Page not found" in missing.text and "Traceback" not in missing.text
    assert "DEBUG = True" not in missing.text and "URLconf" not in missing.text  # not Django's debug page

    # The audit log reached gunicorn's stderr, one key=value line per event.
    log = log_path.read_text()
    assert re.search(r"^time=\S+ level=INFO logger=tracker.audit event=sign_in user=auditor ip=127.0.0.1$", log, re.M)


def test_gunicorn_signs_in_admins_to_the_admin_site(production_server):
    base_url, _ = production_server
    session = _sign_in(base_url, "admin")
    for path in ["/admin/", "/admin/reports/report/", "/admin/recommendations/recommendation/add/"]:
        response = session.get(base_url + path, timeout=30)
        assert response.status_code == 200, path
        assert "Recommendation Tracker administration" in response.text


def test_whitenoise_serves_collected_static_files_with_long_cache_headers(production_server):
    base_url, _ = production_server
    page = requests.get(f"{base_url}/accounts/login/", timeout=30).text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page)
    assert len(assets) >= 4  # design system CSS and JS, the tracker's CSS and JS
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), f"{asset} is not a hashed (cache-busting) name"
        # With a session cookie too: static files are the same for everyone (tracker.privacy).
        response = requests.get(
            base_url + asset, headers={"Accept-Encoding": "gzip"}, cookies={"sessionid": "any"}, timeout=30
        )
        assert response.status_code == 200, asset
        assert "max-age=315360000" in response.headers["Cache-Control"], asset
        assert "private" not in response.headers["Cache-Control"], asset
        assert "immutable" in response.headers["Cache-Control"], asset
        assert response.headers.get("Content-Encoding") in ("gzip", "br"), asset
    admin_css = requests.get(f"{base_url}/admin/login/", timeout=30).text
    assert re.search(r'href="/static/admin/css/base\.[0-9a-f]{12}\.css"', admin_css)


def test_healthz_reports_the_database(production_server):
    base_url, _ = production_server
    response = requests.get(f"{base_url}/healthz", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_without_its_database_gunicorn_answers_503_on_healthz_and_a_clean_500_page(tmp_path, production_server):
    """The database is unreachable (a database that does not exist): /healthz says so
    for the load balancer, and a page that needs it is the site's 500 page."""
    missing_url = scratch_database_url(tmp_path, "missing")  # never created
    if not ON_POSTGRES:
        missing_url = f"sqlite:///{tmp_path / 'no-such-directory' / 'db.sqlite3'}"
    env = production_env(missing_url, tmp_path / "static")
    manage(env, "collectstatic", "--no-input")
    with gunicorn(env, workers=1, threads=1) as base_url:
        health = requests.get(f"{base_url}/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json() == {"status": "error", "database": "unavailable"}

        session = requests.Session()
        form = session.get(f"{base_url}/accounts/login/", timeout=30)
        response = session.post(
            f"{base_url}/accounts/login/",
            data={"username": "auditor", "password": "x", "csrfmiddlewaretoken": _csrf_token(form.text)},
            timeout=30,
        )
        assert response.status_code == 500
        assert "Sorry, there is a problem with the service" in response.text
        assert "Traceback" not in response.text and "OperationalError" not in response.text


def test_development_keeps_plain_http_and_no_hsts():
    """`dev.py run` (DEBUG on) serves plain http on 127.0.0.1: no redirect, no HSTS pinning
    localhost to https in the developer's browser."""
    from tests.settings_probe import read_settings

    names = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE")
    assert read_settings(*names, DJANGO_DEBUG="1").stdout.split() == ["False", "0", "False"]
    assert read_settings(*names).stdout.split() == ["True", "31536000", "True"]
    assert read_settings(*names, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_HSTS_SECONDS="60").stdout.split() == [
        "False",
        "60",
        "True",
    ]
