"""deploy/ is what production runs: the units name the command and files that exist, the
gunicorn unit and the nginx site meet at the same socket, and nginx accepts the site as
written (the load test, bench/load/run.py, serves through tracker-proxy.conf itself)."""

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def test_the_daily_timer_runs_the_maintenance_command():
    timer = unit("tracker-maintenance.timer")
    assert timer["Timer"]["OnCalendar"].startswith("*-*-* ")  # every day
    assert timer["Timer"]["Persistent"] == "true"  # a missed day runs at the next boot
    service = unit("tracker-maintenance.service")
    assert service["Service"]["Type"] == "oneshot"
    command = service["Service"]["ExecStart"].split()
    assert command[-2:] == ["manage.py", "maintenance"]
    assert "maintenance" in get_commands()


def test_gunicorn_and_nginx_meet_at_one_socket():
    service = unit("tracker.service")["Service"]
    socket = re.search(r"--bind unix:(\S+)", service["ExecStart"]).group(1)
    assert "--config /srv/tracker/deploy/gunicorn.conf.py" in service["ExecStart"]
    assert f"server unix:{socket} " in (DEPLOY / "nginx" / "tracker.conf").read_text()
    assert service["Environment"].startswith("PROMETHEUS_MULTIPROC_DIR=/run/tracker/")


def test_metrics_are_only_for_internal_addresses_at_nginx():
    proxy = (DEPLOY / "nginx" / "tracker-proxy.conf").read_text()
    block = proxy[proxy.index("location = /metrics") :]
    block = block[: block.index("}")]
    rules = [line.strip() for line in block.splitlines() if line.strip().startswith(("allow ", "deny "))]
    assert rules[0] == "allow 127.0.0.1;" and rules[-1] == "deny all;"
    assert not any(rule.endswith(" all;") for rule in rules[:-1])


def test_nginx_accepts_the_site_as_written(tmp_path):
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not os.path.exists(nginx) or openssl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx and openssl are needed (.ci/run installs nginx)")
        pytest.skip("nginx or openssl is not installed")
    subprocess.run(  # noqa: S603 - fixed command
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tracker"]
        + ["-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "tracker.conf").read_text()
    site = site.replace("/etc/ssl/certs/tracker.example.gov.scot.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/private/tracker.example.gov.scot.key", str(tmp_path / "key.pem"))
    site = site.replace("/etc/nginx/tracker-proxy.conf", str(DEPLOY / "nginx" / "tracker-proxy.conf"))
    (tmp_path / "site.conf").write_text(site)
    temp_paths = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ {temp_paths} uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;"
        f" include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed command
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
