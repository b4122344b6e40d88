#!/usr/bin/env python3
"""Load test (#9): gunicorn with production settings on its own PostgreSQL database,
50 signed-in readers and 5 auditors posting updates, driven by Locust headless.

    python bench/load/run.py                      # the full run: 60 seconds
    python bench/load/run.py --run-time 15s       # CI's short form

Steps: (re)create the database (default tracker_h9_load), migrate, seed, create the
load-test accounts, collectstatic into a temporary directory, start gunicorn on
127.0.0.1, run Locust, stop gunicorn, then check and print:

- requests served, failures (must be 0: any non-200 page, refused sign-in or update);
- lost updates: ProgressUpdate rows added must equal the posts the tracker accepted;
- p50/p95/p99 response times overall and per kind of request.

Exits non-zero when a check fails. The database is dropped afterwards unless
--keep-database. Locust runs as its own process (it monkey-patches the standard
library with gevent).
"""

import argparse
import csv
import json
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

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
    args = parser.parse_args()

    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp:
        tmp_path = Path(tmp)
        env = production_env(args.database_url, tmp_path / "static")
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

            with log_path.open("w") as log, gunicorn(env, workers=args.workers, threads=args.threads, log=log) as url:
                users = args.readers + args.posters
                print(f"== locust: {users} users against gunicorn at {url} for {args.run_time}", flush=True)
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
    return report(stats, failures, outcome, after - before, server_errors, elapsed)


def report(stats, failures, outcome, added, server_errors, elapsed) -> int:
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
    ok = True
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
