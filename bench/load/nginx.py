"""nginx in front of the load test's gunicorn, with deploy/nginx/tracker-proxy.conf as it is
deployed: the same proxy headers, limits and metrics rule. Only the listener differs
(plain http on 127.0.0.1 instead of TLS) and the upstream (gunicorn's TCP port instead of
its Unix socket).
"""

import contextlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from bench.load.server import ROOT, free_port, wait_until_serving

PROXY_CONF = ROOT / "deploy" / "nginx" / "tracker-proxy.conf"

CONF = """\
daemon off;
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream tracker_app {{
        server {upstream} fail_timeout=0;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name 127.0.0.1 localhost;
        include {proxy_conf};
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


@contextlib.contextmanager
def nginx(upstream: str, directory: Path):
    """Start nginx proxying to ``upstream`` (``host:port``); yield its base URL; stop it afterwards."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    directory.mkdir(mode=0o755, exist_ok=True)
    directory.chmod(0o755)  # nginx's workers run as an unprivileged user when started as root
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(CONF.format(dir=directory, upstream=upstream, port=port, proxy_conf=PROXY_CONF))
    check = subprocess.run([binary, "-t", "-q", "-p", str(directory), "-c", str(conf)], capture_output=True, text=True)  # noqa: S603
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [binary, "-p", str(directory), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, what="nginx")
        yield base_url
    finally:
        process.terminate()  # SIGTERM: fast shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def scrape_metrics(base_url: str, token: str) -> str:
    """The metrics page through nginx, as Prometheus on the same host reads it."""
    request = urllib.request.Request(f"{base_url}/metrics", headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
        return response.read().decode()


def refused_without_token(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/metrics", timeout=60):  # noqa: S310  # nosec B310
            return False
    except urllib.error.HTTPError as error:
        return error.code == 403
