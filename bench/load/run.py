#!/usr/bin/env python3
"""Load test (#9, #22): nginx with deploy/'s proxy configuration in front of gunicorn with
deploy/'s settings and production settings, on its own PostgreSQL database, 50 signed-in
readers and 5 auditors posting updates, driven by Locust headless.

    python bench/load/run.py                      # the full run: 60 seconds
    python bench/load/run.py --run-time 15s       # CI's short form

Steps: (re)create the database (default tracker_h9_load), migrate, seed, create the
load-test accounts, collectstatic into a temporary directory, start gunicorn on
127.0.0.1 (deploy/gunicorn.conf.py) and nginx in front of it (deploy/nginx/tracker-proxy.conf),
run Locust against nginx, read the metrics page through nginx, stop both, then check and print:

- requests served, failures (must be 0: any non-200 page, refused sign-in or update);
- lost updates: ProgressUpdate rows added must equal the posts the tracker accepted;
- p50/p95/p99 response times overall and per kind of request;
- the metrics page: refused without its token, and with it counting at least every
  request Locust made (summed over gunicorn's workers).

Exits non-zero when a check fails. The database is dropped afterwards unless
--keep-database. Locust runs as its own process (it monkey-patches the standard
library with gevent).
"""

import argparse
import contextlib
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.nginx import nginx, nginx_binary, refused_without_token, scrape_metrics  # noqa: E402
from bench.load.server import (  # noqa: E402 - after making the project importable
    PYTHON,
    ROOT,
    drop_postgres_database,
    gunicorn,
    manage,
    production_env,
    recreate_postgres_database,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_h9_load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
COUNT_UPDATES = "from recommendations.models import ProgressUpdate; print(ProgressUpdate.objects.count())"


def count_updates(env) -> int:
    return int(manage(env, "shell", "--no-imports", "-c", COUNT_UPDATES).stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="a PostgreSQL database to (re)create")
    parser.add_argument("--run-time", default="60s", help="Locust --run-time (default 60s)")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--posters", type=int, default=5)
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--direct", action="store_true", help="Locust straight at gunicorn, without nginx (not allowed under CI=true)"
    )
    args = parser.parse_args()

    if args.direct and os.environ.get("CI") == "true":
        parser.error("--direct: under CI=true the load test goes through nginx")
    if not args.direct and nginx_binary() is None:
        print("FAIL: nginx is not installed (apt-get install nginx-light), or run with --direct", file=sys.stderr)
        return 1
    password = secrets.token_urlsafe(16)
    metrics_token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp:
        tmp_path = Path(tmp)
        tmp_path.chmod(0o711)  # nginx's workers reach their own directory inside
        env = production_env(
            args.database_url,
            tmp_path / "static",
            DJANGO_TRUST_X_FORWARDED_PROTO="1",
            TRACKER_METRICS_TOKEN=metrics_token,
        )
        multiproc = tmp_path / "prometheus"
        multiproc.mkdir()
        name = args.database_url.rsplit("/", 1)[-1]
        print(f"== preparing {name}: migrate, seed, accounts, collectstatic", flush=True)
        recreate_postgres_database(args.database_url)
        try:
            manage(env, "migrate", "--no-input")
            manage(env, "seed")
            create = (
                "from bench.load.accounts import create; "
                f"create(readers={args.readers}, posters={args.posters}, password={password!r})"
            )
            plan_path = tmp_path / "plan.json"
            plan_path.write_text(manage(env, "shell", "--no-imports", "-c", create).stdout)
            manage(env, "collectstatic", "--no-input")
            before = count_updates(env)
            outcome_path = tmp_path / "outcome.json"
            log_path = tmp_path / "gunicorn.log"

            server_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
            with contextlib.ExitStack() as stack:
                log = stack.enter_context(log_path.open("w"))
                upstream = stack.enter_context(
                    gunicorn(server_env, workers=args.workers, threads=args.threads, log=log, config=GUNICORN_CONF)
                )
                url = (
                    upstream if args.direct else stack.enter_context(nginx(upstream.split("//")[1], tmp_path / "nginx"))
                )
                users = args.readers + args.posters
                front = (
                    "gunicorn"
                    if args.direct
                    else f"nginx (deploy/nginx/tracker-proxy.conf) before gunicorn at {upstream}"
                )
                print(f"== locust: {users} users against {front} at {url} for {args.run_time}", flush=True)
                started = time.monotonic()
                locust = subprocess.run(  # noqa: S603 - fixed command
                    [
                        PYTHON,
                        "-m",
                        "locust",
                        "--locustfile",
                        str(LOCUSTFILE),
                        "--headless",
                        "--users",
                        str(users),
                        "--spawn-rate",
                        str(args.spawn_rate),
                        "--run-time",
                        args.run_time,
                        # Let every task in flight finish, so no post is cut off half-way.
                        "--stop-timeout",
                        "30",
                        "--host",
                        url,
                        "--csv",
                        str(tmp_path / "locust"),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env={
                        **env,
                        "TRACKER_LOAD_PLAN": str(plan_path),
                        "TRACKER_LOAD_PASSWORD": password,
                        "TRACKER_LOAD_OUTCOME": str(outcome_path),
                    },
                    capture_output=True,
                    text=True,
                )
                elapsed = time.monotonic() - started
                try:
                    metrics = {
                        "refused_without_token": refused_without_token(url),
                        "page": scrape_metrics(url, metrics_token),
                    }
                except OSError as error:
                    print(f"metrics page unreachable: {error!r}", file=sys.stderr)
                    metrics = {"refused_without_token": False, "page": ""}
            after = count_updates(env)
            server_errors = [line for line in log_path.read_text().splitlines() if "level=ERROR" in line]
        finally:
            if not args.keep_database:
                drop_postgres_database(args.database_url)

        if not outcome_path.exists():
            print(locust.stdout, locust.stderr, sep="\n")
            print("FAIL: Locust did not finish", file=sys.stderr)
            return 1
        outcome = json.loads(outcome_path.read_text())
        with (tmp_path / "locust_stats.csv").open() as stats_file:
            stats = list(csv.DictReader(stats_file))
        with (tmp_path / "locust_failures.csv").open() as failures_file:
            failures = list(csv.DictReader(failures_file))
    return report(stats, failures, outcome, after - before, server_errors, elapsed, metrics)


def counted_requests(page: str) -> int:
    """Requests the app counted (by its first middleware: every request), summed over every
    worker (the metrics page)."""
    from prometheus_client.parser import text_string_to_metric_families

    name = "django_http_requests_before_middlewares_total"
    return int(
        sum(s.value for family in text_string_to_metric_families(page) for s in family.samples if s.name == name)
    )


def report(stats, failures, outcome, added, server_errors, elapsed, metrics) -> int:
    total = next(row for row in stats if row["Name"] == "Aggregated")
    requests, failed = int(total["Request Count"]), int(total["Failure Count"])
    posts = outcome["successful_posts"]
    lost = posts - added
    print(f"\n{'request':<26}{'count':>7}{'fail':>6}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    for row in stats:
        print(
            f"{row['Type'] + ' ' + row['Name'] if row['Name'] != 'Aggregated' else 'all requests':<26}"
            f"{row['Request Count']:>7}{row['Failure Count']:>6}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
            f"{float(row['Max Response Time']):>8.0f}"
        )
    print(
        f"\nrequests served: {requests} in {elapsed:.0f} s ({requests / elapsed:.1f}/s); failures: {failed}; "
        f"server errors logged: {len(server_errors)}"
    )
    print(
        f"updates accepted: {posts} (conflicts confirmed: {outcome['conflicts_confirmed']}); "
        f"history rows added: {added}; lost updates: {lost}"
    )
    print(f"p95: {total['95%']} ms (p50 {total['50%']} ms, p99 {total['99%']} ms)")
    counted = counted_requests(metrics["page"])
    print(f"metrics page: refused without its token: {metrics['refused_without_token']}; requests counted: {counted}")
    ok = True
    if not metrics["refused_without_token"]:
        print("FAIL: the metrics page answered without its token", file=sys.stderr)
        ok = False
    if counted < requests:
        print(f"FAIL: the metrics page counted {counted} requests of the {requests} served", file=sys.stderr)
        ok = False
    for failure in failures:
        print(f"FAILURE: {failure['Method']} {failure['Name']}: {failure['Error']} x{failure['Occurrences']}")
    for line in server_errors[:5]:
        print(f"SERVER ERROR: {line[:300]}")
    if failed or server_errors:
        print("FAIL: the error rate must be 0", file=sys.stderr)
        ok = False
    if lost != 0:
        print(f"FAIL: {posts} updates accepted but {added} history rows added", file=sys.stderr)
        ok = False
    if posts == 0:
        print("FAIL: no update was posted at all", file=sys.stderr)
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
