"""XLSX export writers side by side: rows/s and peak memory at 100,000 rows (#18).

    .venv/bin/python bench/exports.py [--rows 100000] [--rounds 3]
    DATABASE_URL=... .venv/bin/python bench/exports.py --database [--rounds 3]

Times the export's writer (``recommendations.exports._xlsx_file``, rustpy-xlsxwriter)
against the XlsxWriter constant-memory writer it replaced (kept below as
``xlsxwriter_file``), over the same rows: made in memory, shaped like
``export_rows()``'s (every text distinct, so that no writer gains from repeats),
and produced lazily so that the rows themselves hold no memory. Rounds alternate
the two writers, so that a busy spell of a shared machine slows both. Each round
reports rows/s, peak Python memory (tracemalloc) and the file's size; a final run
of each writer in its own process reports the growth of its peak resident memory
(which tracemalloc cannot see: C allocations, zlib).

With ``--database``, the whole export instead, as a user gets it: ``?_export=xlsx`` on
/recommendations/ through Django's handler, signed in as an auditor (every row), body
read to the end, once with each writer in turn (and the CSV export beside them, for
reference), on a database holding the synthetic data (bench/pages.py's "To reproduce").
It reports rows/s, the time to the first byte and peak Python memory.
"""

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEXT = (
    "The Scottish Government and COSLA should work with community planning partnerships to set out "
    "clearly how they will improve outcomes for local communities, with measurable targets, "
    "and report progress publicly each year. Formula-like text is neutralised: "
)
THEMES = ["Leadership", "Governance", "=Sharing resources", "Performance", "", "-Community engagement"]
OWNERS = ["COSLA; Scottish Government", "Community Planning Partnerships", "@Improvement Service", ""]
STATUS = ["Red", "Amber", "Green", "Not rated", "Never assessed"]
DATES = ["2016-03-03", "2018-07", "2006", ""]


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()


def rows(n: int):
    """n rows in HEADERS order, made as they are asked for."""
    for i in range(n):
        yield [
            f"Synthetic report {i // 25}",
            DATES[i % 3],
            i % 25 + 1,
            TEXT + ("=1+2" if i % 50 == 0 else str(i)),
            OWNERS[i % 4],
            THEMES[i % 6],
            STATUS[i % 5],
            DATES[i % 4],
            i % 17,
        ]


def xlsxwriter_file(rows):
    """The writer before rustpy-xlsxwriter: XlsxWriter (pure Python) in constant-memory mode,
    every text cell a string, into a temporary file."""
    import xlsxwriter

    from recommendations.exports import HEADERS, TEXT_COLUMNS, neutralise

    handle = tempfile.TemporaryFile()
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(handle, {**options, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("Recommendations")
    sheet.write_row(0, 0, HEADERS)
    numbers = (HEADERS.index("Number"), HEADERS.index("Updates"))
    text, number = sheet.write_string, sheet.write_number
    columns = [(i, number if i in numbers else text, i in TEXT_COLUMNS) for i in range(len(HEADERS))]
    for r, row in enumerate(rows, start=1):
        for i, write, free_text in columns:
            value = row[i]
            if value is None or value == "":
                continue
            write(r, i, neutralise(value) if free_text else value)
    workbook.close()
    handle.seek(0)
    return handle


def writers() -> dict:
    from recommendations.exports import _xlsx_file

    return {"XlsxWriter constant_memory (before)": xlsxwriter_file, "rustpy-xlsxwriter (after)": _xlsx_file}


def run_once(write, n: int, trace: bool) -> tuple[float, float, float, int]:
    """Seconds (wall and CPU), peak traced MiB (0 when not traced) and file bytes for one export."""
    gc.collect()
    if trace:
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
    started, cpu = time.perf_counter(), time.process_time()
    handle = write(rows(n))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = 0.0
    if trace:
        peak = (tracemalloc.get_traced_memory()[1] - baseline) / 2**20
        tracemalloc.stop()
    size = handle.seek(0, os.SEEK_END)
    handle.close()
    return seconds, cpu, peak, size


def rss_growth(name: str, n: int) -> float:
    """Peak resident memory growth in MiB of one export in a fresh process."""
    out = subprocess.run(  # noqa: S603 (this script, with its own arguments)
        [sys.executable, __file__, "--rss-child", name, "--rows", str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def _rss_child(name: str, n: int) -> None:
    _setup_django()
    write = writers()[name]
    write(rows(10))  # imports and first-use allocations, outside the measure
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    write(rows(n)).close()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)


def _export(client, fmt: str) -> tuple[float, float, float, int]:
    """Seconds to the first byte and to the last, this process's CPU seconds, and bytes, of
    one export read to the end."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get("/recommendations/", {"_export": fmt}, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"?_export={fmt} answered {response.status_code}")
    chunks = iter(response.streaming_content)
    size = len(next(chunks))
    first = time.perf_counter() - started
    size += sum(len(chunk) for chunk in chunks)
    return first, time.perf_counter() - started, time.process_time() - cpu, size


def database(rounds: int) -> list[dict]:
    """The export end to end through the view, each writer in turn (see the module's docstring)."""
    _setup_django()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import pages
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    from recommendations import exports
    from recommendations.models import Recommendation

    n = Recommendation.objects.count()
    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {n:,} recommendations", flush=True)
    kinds = {**{name: ("xlsx", write) for name, write in writers().items()}, "CSV (reference)": ("csv", None)}
    results = {name: {"first": [], "total": [], "cpu": [], "peak": 0.0, "size": 0} for name in kinds}
    replaced = exports._xlsx_file
    host = override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": pages.STATIC_STORAGE}},
    )
    try:
        with host:
            client = Client()
            client.force_login(pages._users()["auditor"])
            for round_ in range(rounds):
                for name, (fmt, write) in kinds.items():
                    exports._xlsx_file = write or replaced
                    gc.collect()
                    first, total, cpu, size = _export(client, fmt)
                    results[name]["first"].append(first)
                    results[name]["total"].append(total)
                    results[name]["cpu"].append(cpu)
                    results[name]["size"] = size
                    print(
                        f"round {round_ + 1}: {name}: {n / total:,.0f} rows/s, {n / cpu:,.0f} rows/CPU-s,"
                        f" first byte {first:.1f} s",
                        flush=True,
                    )
            for name, (fmt, write) in kinds.items():  # memory, untimed: tracing slows the code
                exports._xlsx_file = write or replaced
                gc.collect()
                tracemalloc.start()
                baseline = tracemalloc.get_traced_memory()[0]
                _export(client, fmt)
                results[name]["peak"] = (tracemalloc.get_traced_memory()[1] - baseline) / 2**20
                tracemalloc.stop()
    finally:
        exports._xlsx_file = replaced
    table = []
    print(
        f"\n| Export, whole view ({n:,} rows) | rows/s (median of {rounds}) | rows per CPU-second (Python's)"
        " | s | first byte s | peak Python MiB |"
    )
    print("|---|--:|--:|--:|--:|--:|")
    for name, result in results.items():
        total = statistics.median(result["total"])
        row = {
            "export": name,
            "rows_per_s": n / total,
            "rows_per_cpu_s": n / statistics.median(result["cpu"]),
            "seconds": total,
            "first_byte_s": statistics.median(result["first"]),
            "peak_mib": result["peak"],
            "file_mib": result["size"] / 2**20,
        }
        table.append(row)
        print(
            f"| {name} | {row['rows_per_s']:,.0f} | {row['rows_per_cpu_s']:,.0f} | {total:.2f}"
            f" | {row['first_byte_s']:.2f} | {row['peak_mib']:.1f} |"
        )
    return table


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="Timed runs of each writer, alternating.")
    parser.add_argument("--database", action="store_true", help="The whole export through the view, on this database.")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.database:
        return database(args.rounds)
    if args.rss_child:
        _rss_child(args.rss_child, args.rows)
        return []
    _setup_django()
    results = {name: {"seconds": [], "cpu": [], "peak": [], "size": 0} for name in writers()}
    for round_ in range(args.rounds):
        for name, write in writers().items():
            # Time without tracing (tracemalloc slows allocation-heavy code), then trace once.
            seconds, cpu, _, size = run_once(write, args.rows, trace=False)
            results[name]["seconds"].append(seconds)
            results[name]["cpu"].append(cpu)
            results[name]["size"] = size
            if round_ == 0:
                results[name]["peak"].append(run_once(write, args.rows, trace=True)[2])
            print(
                f"round {round_ + 1}: {name}: {args.rows / seconds:,.0f} rows/s, {args.rows / cpu:,.0f} rows/CPU-s",
                flush=True,
            )
    table = []
    print(
        f"\n| Writer ({args.rows:,} rows) | rows/s (median of {args.rounds}) | rows per CPU-second | s"
        " | peak Python MiB | peak RSS growth MiB | file MiB |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, result in results.items():
        seconds = statistics.median(result["seconds"])
        row = {
            "writer": name,
            "rows_per_s": args.rows / seconds,
            "rows_per_cpu_s": args.rows / statistics.median(result["cpu"]),
            "seconds": seconds,
            "peak_mib": result["peak"][0],
            "rss_mib": rss_growth(name, args.rows),
            "file_mib": result["size"] / 2**20,
        }
        table.append(row)
        print(
            f"| {name} | {row['rows_per_s']:,.0f} | {row['rows_per_cpu_s']:,.0f} | {seconds:.2f}"
            f" | {row['peak_mib']:.1f} | {row['rss_mib']:.1f} | {row['file_mib']:.1f} |"
        )
    return table


if __name__ == "__main__":
    main()
