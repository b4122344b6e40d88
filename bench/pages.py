"""Server-side time and SQL query count of the tracker's pages, exports and updates,
against the Django admin changelist (the peer) and the page's own SQL (the floor).

Run against a database holding synthetic data (``bench/generate_synthetic.py``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench .venv/bin/python bench/pages.py --repeat 30

Each item is requested through Django's handler (``django.test.Client``, signed in,
over "https") ``--warmup`` times, then ``--repeat`` times with a cold cache (Django's
cache cleared, untimed, before each request: nothing kept, as after any write), then
``--repeat`` times with a warm one (the same address again: what a repeat view costs).
Its queries are captured once, cold. Exports are timed ``--export-repeat`` times, cold,
without warm-up, with the CPU time of this process beside the wall time.

The peer is the project's own RecommendationAdmin changelist with the same filter,
search, sort or page (``list_per_page`` set to the table's 25 for the run), the cache
cleared before each request too. The floor is the page's captured SQL re-executed alone
on a cursor, all rows fetched, inside a transaction that is rolled back, once after each
cold request (interleaved, so that a busy spell of a shared machine slows both). The
exports are also run once more under tracemalloc for their peak memory growth.

``--code DIR`` measures the application code of another checkout (DIR's packages come
first on the path; bench/compare.py runs this script on two checkouts in turns).
``--smoke`` runs a few repeats for CI; the figures are then meaningless.

Timings go in BENCHMARKS.md, never in tests; tests/test_benchmark_smoke.py runs
this end to end at a tiny scale.
"""

import argparse
import datetime
import gc
import json
import os
import re
import statistics
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 25
STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
SKIPPED_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
DECLARE = re.compile(r"DECLARE\s+\S+\s+(?:NO\s+)?SCROLL\s+CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+(.*)", re.S | re.I)
BENCH_SUMMARY = "Benchmark: progress noted."  # the updates this script posts, removed after each run


@dataclass
class Item:
    """One thing to measure: a GET (or POST) of ``path`` as ``user``; ``admin`` is the
    equivalent changelist query string, or None where the admin has no equivalent."""

    name: str
    path: str
    params: dict = field(default_factory=dict)
    admin: dict | None = None
    user: str = "auditor"
    post: dict | None = None
    export: bool = False


@dataclass
class Row:
    name: str
    queries: int
    p50_ms: float
    p95_ms: float
    admin_p50_ms: float | None = None
    admin_queries: int | None = None
    floor_p50_ms: float | None = None
    floor_p95_ms: float | None = None
    rows: int | None = None
    rows_per_s: float | None = None
    peak_mib: float | None = None
    warm_p50_ms: float | None = None
    warm_p95_ms: float | None = None
    cpu_p50_ms: float | None = None

    @property
    def page_admin(self) -> float | None:
        return self.p50_ms / self.admin_p50_ms if self.admin_p50_ms else None

    @property
    def floor_spread(self) -> float | None:
        """The SQL's own p95/p50: how much of a page's tail the database and machine bring."""
        return self.floor_p95_ms / self.floor_p50_ms if self.floor_p50_ms else None

    @property
    def page_floor(self) -> float | None:
        return self.p50_ms / self.floor_p50_ms if self.floor_p50_ms else None

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "page_admin": self.page_admin,
            "page_floor": self.page_floor,
            "floor_spread": self.floor_spread,
        }


def _setup_django(code: Path | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    if code is not None:  # its packages first; this checkout's bench/ still found
        sys.path.insert(0, str(code))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _users():
    """The benchmark's own accounts (created once): an auditor, an officer of a CPP, an admin."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from recommendations.models import Owner
    from tracker.roles import ADMIN, AUDITOR, OFFICER

    User = get_user_model()
    cpp = (
        Owner.objects.filter(slug="inverclyde-alliance").first()
        or Owner.objects.filter(kind=Owner.Kind.CPP, all_cpps=False).order_by("pk").first()
    )
    users = {}
    for key, role, extra in (
        ("auditor", AUDITOR, {}),
        ("officer", OFFICER, {}),
        ("admin", ADMIN, {"is_staff": True, "is_superuser": True}),
    ):
        user, created = User.objects.get_or_create(username=f"bench-{key}", defaults=extra)
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if key == "officer":
                user.organisations.add(cpp)
        users[key] = user
    return users


def items() -> list[Item]:
    """What to measure, on the synthetic data: a large report, a long history."""
    from django.db.models import Sum

    from recommendations.models import Owner, Recommendation, Status
    from reports.models import Report

    synthetic = _synthetic()

    report = (
        Report.objects.filter(slug__startswith=synthetic.PREFIX)
        .annotate(n=Sum("recommendations__update_count"))
        .order_by("-n", "pk")
        .first()
    )
    recs = Recommendation.objects.filter(report__slug__startswith=synthetic.PREFIX)
    detail = recs.order_by("-update_count", "pk").first()
    target = recs.exclude(pk=detail.pk).order_by("pk").first()
    as_at = report.published + (synthetic.END - report.published) / 2
    first = datetime.date(synthetic.FIRST_YEAR, 1, 1)
    whole_as_at = first + (synthetic.END - first) * 3 / 4
    owner = Owner.objects.get(slug="scottish-government")
    kind = Owner.Kind.NATIONAL_GOVERNMENT
    per_page = {"per_page": PER_PAGE}
    middle = max(1, Recommendation.objects.count() // PER_PAGE // 2)  # page 2,001 of 4,003 at 100,051
    return [
        Item("Table, unfiltered", "/recommendations/", {}, {}),
        Item(
            "Table, owner kind + status",
            "/recommendations/",
            {"owner_kind": kind, "status": "amber"},
            {"owners__kind__exact": kind, "status": Status.AMBER.value},
        ),
        Item("Table, owner + status", "/recommendations/", {"owner": owner.slug, "status": "amber"}, None),
        Item("Table, sorted by status", "/recommendations/", {"sort": "status"}, {"o": "4"}),
        # A specific search (a topic: about 4% of recommendations at any scale) and a broad one
        # (also a theme: about 12%), ranked by relevance, which costs a tsvector per match.
        Item("Table, text search", "/recommendations/", {"q": "fuel poverty"}, {"q": "fuel poverty"}),
        Item("Table, broad text search", "/recommendations/", {"q": "workforce"}, {"q": "workforce"}),
        Item("Table, deep page (the middle)", "/recommendations/", {"page": middle, **per_page}, {"p": middle}),
        Item("Report dashboard", report.get_absolute_url()),
        Item("Report dashboard, as at", report.get_absolute_url(), {"as_at": as_at.isoformat()}),
        Item("Portfolio (home)", "/"),
        # Every recommendation's status on one day (the whole database, three quarters of
        # the way through the history: of eight dates from 2005 to 2026, the counts were
        # slowest around 2018, when most updates straddle the day), with the publications
        # and latest updates as they stood.
        Item("Portfolio as at a date (the whole database)", "/", {"as_at": whole_as_at.isoformat()}),
        Item("Recommendation detail", detail.get_absolute_url()),
        Item("Officer's /my/", "/my/", user="officer"),
        Item("CSV export, all rows", "/recommendations/", {"_export": "csv"}, export=True),
        Item("XLSX export, all rows", "/recommendations/", {"_export": "xlsx"}, export=True),
        Item(
            "Add a progress update",
            f"/recommendations/{target.pk}/updates/",
            post={
                "rag": Status.AMBER.value,
                "assessed_on": datetime.date.today().isoformat(),
                "summary": BENCH_SUMMARY,
                "confirm": "on",
            },
        ),
    ]


def _synthetic():
    """The synthetic data's module: bench/ now, the recommendations app before #18."""
    try:
        from recommendations import synthetic
    except ImportError:
        from bench import synthetic
    return synthetic


def machine_speed() -> float:
    """ms for a fixed piece of pure Python (the best of 5): the machine is shared, and its
    speed moved by a third within minutes; printed before and after a run to date its phase."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number % 7
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def remove_benchmark_updates() -> int:
    """Delete the progress updates this script posted and re-derive those recommendations'
    current status, so that every run measures the same data: left in place, they piled up
    on one recommendation, which then became the "most updated" detail page and its report
    the dashboard measured, and both grew heavier run after run."""
    from django.db import transaction

    from recommendations.models import ProgressUpdate, Recommendation
    from recommendations.services import _refresh_status

    with transaction.atomic():
        posted = ProgressUpdate.objects.filter(summary=BENCH_SUMMARY)
        ids = set(posted.values_list("recommendation_id", flat=True))
        deleted, _ = posted.delete()
        for recommendation in Recommendation.objects.select_for_update().filter(pk__in=ids):
            _refresh_status(recommendation)
    return deleted


def _request(client, item: Item, path: str, params: dict):
    """One request, fully consumed (a streamed body is read to the end). Returns (response, bytes)."""
    if item.post is not None:
        response = client.post(path, item.post, secure=True)
        expected = 302
    else:
        response = client.get(path, params, secure=True)
        expected = 200
    if response.status_code != expected:
        raise RuntimeError(f"{item.name}: {path} answered {response.status_code}")
    if response.streaming:  # the client closes the response once it is read to the end
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    return response, size


def _time(client, item: Item, path: str, params: dict, warmup: int, repeat: int) -> tuple[list[float], int]:
    """Times in ms of ``repeat`` requests after ``warmup``; and the last body's size."""
    for _ in range(warmup):
        _request(client, item, path, params)
    gc.collect()
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        _, size = _request(client, item, path, params)
        times.append((time.perf_counter() - started) * 1000)
    return times, size


def _capture(client, item: Item, path: str, params: dict) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _request(client, item, path, params)
    return [q["sql"] for q in captured.captured_queries]


def _floor(statements: list[str]) -> float:
    """ms to execute the statements alone, every row fetched; rolled back. A server-side
    cursor (an export's ``.iterator()``) is captured as its DECLARE: its query is run
    instead, as inside a transaction the DECLARE itself reads nothing until fetched."""
    from django.db import connection, transaction

    runnable = [_declared_query(s) for s in statements if not s.upper().startswith(SKIPPED_SQL)]
    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            for sql in runnable:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed


def _declared_query(sql: str) -> str:
    match = DECLARE.match(sql)
    return match.group(1) if match else sql


def _peak_memory(client, item: Item, params: dict) -> float:
    """Peak Python memory growth in MiB while the export streams."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        _request(client, item, item.path, params)
        return (tracemalloc.get_traced_memory()[1] - baseline) / 2**20
    finally:
        tracemalloc.stop()


def _cold() -> None:
    from django.core.cache import cache

    cache.clear()


def measure(item: Item, clients: dict, warmup: int, repeat: int, export_repeat: int) -> Row:
    """The page with a cold cache and its floor in turns (page, floor, page, floor...), so
    that a slow spell of a shared machine weighs on both alike and page − floor is Python's
    share; then the page with a warm cache (exports: cold only, ``export_repeat`` times)."""
    from recommendations.models import Recommendation

    client = clients[item.user]
    if item.export:
        warmup, repeat = 0, export_repeat
    for _ in range(warmup):
        _request(client, item, item.path, item.params)
    _cold()
    statements = _capture(client, item, item.path, item.params)
    gc.collect()
    times, cpus, floors = [], [], []
    for _ in range(repeat):
        _cold()
        started, cpu = time.perf_counter(), time.process_time()
        _request(client, item, item.path, item.params)
        times.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        floors.append(_floor(statements))
    row = Row(
        item.name,
        queries=len(statements),
        p50_ms=statistics.median(times),
        p95_ms=_percentile(times, 0.95),
        floor_p50_ms=statistics.median(floors),
        floor_p95_ms=_percentile(floors, 0.95),
        cpu_p50_ms=statistics.median(cpus),
    )
    if not item.export and item.post is None:
        _request(client, item, item.path, item.params)  # kept now
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            _request(client, item, item.path, item.params)
            warm.append((time.perf_counter() - started) * 1000)
        row.warm_p50_ms, row.warm_p95_ms = statistics.median(warm), _percentile(warm, 0.95)
    if item.admin is not None:
        admin_path = "/admin/recommendations/recommendation/"
        peer = Item(item.name, admin_path)
        for _ in range(warmup):
            _request(clients["admin"], peer, admin_path, item.admin)
        admin_times = []
        for _ in range(repeat):
            _cold()
            started = time.perf_counter()
            _request(clients["admin"], peer, admin_path, item.admin)
            admin_times.append((time.perf_counter() - started) * 1000)
        row.admin_p50_ms = statistics.median(admin_times)
        row.admin_queries = len(_capture(clients["admin"], peer, admin_path, item.admin))
    if item.export:
        row.rows = Recommendation.objects.count()
        row.rows_per_s = row.rows / (row.p50_ms / 1000)
        row.peak_mib = _peak_memory(client, item, item.params)
    return row


def _fmt(value, pattern: str) -> str:
    return "–" if value is None else format(value, pattern)


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| Item | Queries | Cold p50 ms | Cold p95 ms | Warm p50 ms | Admin p50 ms (queries) | Page/admin"
        " | Floor p50 ms | Floor p95/p50 | Page/floor | Page − floor ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        admin = "–" if row.admin_p50_ms is None else f"{row.admin_p50_ms:.1f} ({row.admin_queries})"
        name = row.name
        if row.rows_per_s is not None:
            name += (
                f" ({row.rows:,} rows: {row.rows_per_s:,.0f} rows/s,"
                f" {row.rows / (row.cpu_p50_ms / 1000):,.0f} rows per CPU-second, peak +{row.peak_mib:.1f} MiB)"
            )
        lines.append(
            f"| {name} | {row.queries} | {row.p50_ms:.1f} | {row.p95_ms:.1f} | {_fmt(row.warm_p50_ms, '.1f')}"
            f" | {admin} | {_fmt(row.page_admin, '.2f')} | {_fmt(row.floor_p50_ms, '.1f')}"
            f" | {_fmt(row.floor_spread, '.2f')} | {_fmt(row.page_floor, '.2f')}"
            f" | {_fmt(row.p50_ms - row.floor_p50_ms, '.1f')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="Timed requests per item (default 30).")
    parser.add_argument("--warmup", type=int, default=3, help="Untimed requests first (default 3).")
    parser.add_argument("--only", action="append", default=[], help="Measure only items whose name contains this.")
    parser.add_argument("--item", action="append", default=[], help="Measure only the item of this exact name.")
    parser.add_argument("--list", action="store_true", help="Print the items' names and stop.")
    parser.add_argument("--export-repeat", type=int, default=3, help="Timed runs of each export (default 3).")
    parser.add_argument("--code", type=Path, help="Measure the application code of this checkout instead.")
    parser.add_argument("--json", type=Path, help="Also write the results to this file.")
    parser.add_argument("--smoke", action="store_true", help="Two repeats, one warm-up: for CI, not for figures.")
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeat, args.warmup, args.export_repeat = 2, 1, 1

    _setup_django(args.code)
    from django.conf import settings
    from django.contrib import admin
    from django.db import connection
    from django.test import Client, override_settings

    from recommendations.models import ProgressUpdate, Recommendation

    synthetic = _synthetic()
    if not synthetic.exists():
        sys.exit("No synthetic data in this database: run `bench/generate_synthetic.py` first.")
    if args.list:
        print("\n".join(item.name for item in items()))
        return []
    if removed := remove_benchmark_updates():
        print(f"Removed {removed:,} progress updates left by an earlier run", flush=True)
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: {Recommendation.objects.count():,} recommendations,"
        f" {ProgressUpdate.objects.count():,} progress updates; {args.repeat} repeats after {args.warmup} warm-up",
        flush=True,
    )
    # The test client's host, and plain static files storage as the tests use (no
    # collectstatic needed); the peer shows the table's page size.
    host = override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}},
    )
    speed_before = machine_speed()
    print(f"Machine speed before: {speed_before:.0f} ms for the fixed workload (lower is faster)", flush=True)
    peer = admin.site._registry[Recommendation]
    per_page, peer.list_per_page = peer.list_per_page, PER_PAGE
    rows = []
    try:
        with host:
            users = _users()
            clients = {}
            for key, user in users.items():
                clients[key] = Client()
                clients[key].force_login(user)
            for item in items():
                if args.only and not any(part.lower() in item.name.lower() for part in args.only):
                    continue
                if args.item and item.name not in args.item:
                    continue
                try:
                    rows.append(measure(item, clients, args.warmup, args.repeat, args.export_repeat))
                finally:
                    if item.post is not None:
                        remove_benchmark_updates()
                row = rows[-1]
                warm = "" if row.warm_p50_ms is None else f", warm {row.warm_p50_ms:.1f} ms"
                print(f"  {item.name}: cold p50 {row.p50_ms:.1f} ms{warm}, {row.queries} queries", flush=True)
    finally:
        peer.list_per_page = per_page
    print(table(rows))
    print(f"Machine speed: {speed_before:.0f} ms before the run, {machine_speed():.0f} ms after", flush=True)
    if args.json:
        args.json.write_text(json.dumps([row.as_dict() for row in rows], indent=2))
    return rows


if __name__ == "__main__":
    main()
