"""Read settings as a fresh process would see them under a given environment."""

import os
import subprocess
import sys


def read_settings(*names: str, **env: str) -> subprocess.CompletedProcess:
    """Import tracker.settings in a new interpreter with only ``env`` for DJANGO_*/DATABASE_URL
    variables, and print the named settings separated by spaces."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    full_env.update(env)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='tracker.settings'; django.setup(); "
        f"from django.conf import settings as s; print(*(getattr(s, n) for n in {list(names)!r}))"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env)
