"""Serve the tracker as in production, for the load test and tests/test_production.py.

gunicorn on 127.0.0.1 with DEBUG off, a real secret key, static files collected
into a temporary STATIC_ROOT and served by WhiteNoise, and a database of its
own (a PostgreSQL database created here, or a SQLite file).

One deliberate difference from a public deployment: it speaks plain http on
127.0.0.1, as a server behind a TLS-terminating proxy does. So the https
redirect is off (DJANGO_SECURE_SSL_REDIRECT=0) and cookies are not marked
Secure (DJANGO_SECURE_COOKIES=0): a strict client never sends a Secure cookie
back over http, and could not stay signed in.
"""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def production_env(database_url: str, static_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process, without any DJANGO_* or DATABASE_URL inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``manage.py <args>`` under ``env``; raises with its output when it fails."""
    result = subprocess.run(  # noqa: S603 - fixed interpreter and script, arguments from this code
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _maintenance_connection(database_url: str):
    """A connection to the server's ``postgres`` database, to create and drop others."""
    import psycopg2

    parts = urlsplit(database_url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def _database_name(database_url: str) -> str:
    name = urlsplit(database_url).path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    return name


def recreate_postgres_database(database_url: str) -> None:
    name = _database_name(database_url)
    with contextlib.closing(_maintenance_connection(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # the name was checked above
        cursor.execute(f'CREATE DATABASE "{name}"')  # the name was checked above


def drop_postgres_database(database_url: str) -> None:
    name = _database_name(database_url)
    with contextlib.closing(_maintenance_connection(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # the name was checked above


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(base_url: str, process: subprocess.Popen, timeout: float = 60, what: str = "gunicorn") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before serving")
        try:
            # Only ever http://127.0.0.1:<port> built above, never a caller's URL.
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2):  # noqa: S310  # nosec B310
                return
        except urllib.error.HTTPError:
            return  # it answers (a 503 from /healthz is still an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on {base_url} within {timeout} s")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 4, log=None, config: Path | None = None):
    """Start gunicorn on 127.0.0.1 at a free port; yield its base URL; stop it afterwards.
    With ``config`` (deploy/gunicorn.conf.py) its settings apply, then the options below."""
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "tracker.wsgi",
        *(["--config", str(config)] if config else []),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        # Longer than any client's pause between requests: a connection closed by the
        # server just as the client reuses it would count as a failed request.
        "--keep-alive",
        "10",
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed command
        command,
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
