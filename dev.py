#!/usr/bin/env python3
"""The two commands in README.md, with nothing but Python 3.11+ on the machine.

    python3 dev.py run    set up (virtual environment, install requirements.lock,
                          migrate, seed, demo accounts) and serve on http://127.0.0.1:8000
    python3 dev.py test   install requirements-dev.lock and run the whole test suite
                          (extra arguments go to pytest)

Set DATABASE_URL to use PostgreSQL instead of the SQLite file db.sqlite3.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
RUNTIME_LOCK = ROOT / "requirements.lock"  # what the app needs to run
DEV_LOCK = ROOT / "requirements-dev.lock"  # that plus the test and development tools
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(*args: str, env: dict | None = None) -> None:
    subprocess.run(args, cwd=ROOT, check=True, env=env)


def ensure_environment(lock: Path) -> None:
    """Create .venv and install a lock file's pins when they changed since it was last installed.

    Each lock has its own stamp, so that `run` after `test` (or the reverse) installs nothing
    when neither lock changed: the dev lock includes the runtime one, and pip only adds."""
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed.")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.name}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    # The dev lock includes the runtime lock (-r): its digest covers both files.
    files = dict.fromkeys([RUNTIME_LOCK, lock])
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".{lock.name}.sha256"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        say(f"installing pinned requirements ({lock.name})")
        run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(lock))
        stamp.write_text(digest)


def cmd_run(args: list[str]) -> None:
    ensure_environment(RUNTIME_LOCK)
    env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    manage = [str(PYTHON), "manage.py"]
    run(*manage, "migrate", "--no-input", env=env)
    run(*manage, "seed", env=env)
    run(*manage, "demo_users", env=env)
    say("serving on http://127.0.0.1:8000 (Ctrl+C to stop); demo accounts are listed in README.md")
    os.execve(str(PYTHON), [*manage, "runserver", "127.0.0.1:8000", *args], env)


def cmd_test(args: list[str]) -> None:
    ensure_environment(DEV_LOCK)
    env = dict(os.environ)
    in_ci = env.get("CI", "").lower() == "true"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if in_ci:
            sys.exit(f"[dev.py] CI=true but no Chromium at {CHROMIUM}: browser tests cannot run. Failing.")
        say(f"NOTE: no Chromium at {CHROMIUM}, so the browser tests will be SKIPPED.")
        say("      Install Debian's chromium (apt-get install chromium) to run them.")
    database = "PostgreSQL (DATABASE_URL)" if env.get("DATABASE_URL") else "SQLite"
    say(f"running the test suite on {database}")
    # Spread tests over every core unless told otherwise (-n 0 runs in one process).
    parallel = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) else ["-n", "auto"]
    result = subprocess.run([str(PYTHON), "-m", "pytest", *parallel, *args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def main() -> None:
    commands = {"run": cmd_run, "test": cmd_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
