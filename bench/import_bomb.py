"""How long, and how much memory, the admin's import takes to refuse a file far over the row limit.

Builds a small .xlsx (and a .csv) with ``--rows`` rows (500,000 by default: the "import bomb"
of issue #17, a few tens of KB on disk), then uploads each through the admin's import view
with Django's test client, signed in as a superuser, into a throwaway in-memory SQLite
database: the same form, temporary storage, format class and messages an admin meets.
Prints the wall and CPU time of the refusing request; then, from a second upload under
tracemalloc, the peak of Python allocations during it and the growth of the process's
peak resident memory (VmHWM, reset just before the request); and the message shown.
The machine is shared: CPU time is the steadier figure when others are busy::

    .venv/bin/python bench/import_bomb.py
    .venv/bin/python bench/import_bomb.py --rows 500000 --repeat 3

Figures go in BENCHMARKS.md ("Import size limit (#17)"), never in tests.
"""

import argparse
import csv
import io
import os
import re
import sys
import time
import tracemalloc
import zipfile
from html import unescape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_STORAGE = "django.contrib.staticfiles.storage.StaticFilesStorage"
TARGET_SECONDS = 1.0
TARGET_GROWTH_MB = 30.0


SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Import" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        "</Relationships>"
    ),
}


def _inline(values) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values) + "</row>"


def build_xlsx(rows: int) -> bytes:
    """A workbook of the template's header and ``rows`` identical rows, as an attacker would
    write it: the sheet's XML streamed into the zip by hand (rows without numbers, strings
    inline), so it deflates to a few tens of KB. openpyxl reads it like any workbook."""
    from recommendations.resources import RecommendationResource

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write((SHEET_START + _inline(RecommendationResource.template_headers())).encode())
            row = _inline(["a-report", "1", "Theme", "Do the thing.", "COSLA", "", ""]).encode()
            for _ in range(rows):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def build_csv(rows: int) -> bytes:
    """The header and ``rows`` one-cell rows: as many rows as fit under the byte limit."""
    from recommendations.resources import RecommendationResource

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RecommendationResource.template_headers())
    writer.writerows([["x"]] * rows)
    return out.getvalue().encode()


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    """Linux lets a process reset its own peak RSS (VmHWM) by writing 5 to clear_refs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _post(client, content: bytes, fmt: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(f"bomb.{fmt}", content)
    data = {"resource": "0", "format": {"csv": "0", "xlsx": "1"}[fmt], "import_file": upload}
    return client.post("/admin/recommendations/recommendation/import/", data, secure=True)


def refuse(client, content: bytes, fmt: str) -> dict:
    """One timed upload (wall and CPU time), then one under tracemalloc (which slows
    allocation-heavy code severalfold, so it is never the timed one) for the memory figures."""
    started, cpu_started = time.perf_counter(), time.process_time()
    response = _post(client, content, fmt)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started

    rss_before = _status_kb("VmRSS")
    can_reset = _reset_peak_rss()
    tracemalloc.start()
    _post(client, content, fmt)
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = _status_kb("VmHWM") if can_reset else None

    page = unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    message = next((m.strip() for m in re.findall(r"The file [^.]*\.[^.]*\.", page)), "(no size message)")
    return {
        "status": response.status_code,
        "refused": response.context is not None and response.context.get("confirm_form") is None,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "python_peak_mb": python_peak / 2**20,
        "rss_growth_mb": None if rss_peak is None else max(0, rss_peak - rss_before) / 1024,
        "message": " ".join(message.split()),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000, help="rows in the bomb (default 500,000)")
    parser.add_argument("--repeat", type=int, default=3, help="uploads of each file (default 3)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = "sqlite://:memory:"  # a throwaway database: nothing is written anyway
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"Throwaway database migrated in {time.perf_counter() - started:.1f} s")
    admin = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", "x")
    client = Client()
    client.force_login(admin)
    # The page is rendered as in development: no collected static files are needed.
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_STORAGE}}).enable()

    print(f"Row limit {settings.TRACKER_IMPORT_MAX_ROWS:,}, byte limit {settings.TRACKER_IMPORT_MAX_BYTES:,}")
    failed = False
    for fmt, build in (("xlsx", build_xlsx), ("csv", build_csv)):
        started = time.perf_counter()
        content = build(args.rows)
        print(
            f"\n{fmt}: {args.rows:,} rows, {len(content) / 1024:,.0f} KB on disk "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        if len(content) > settings.TRACKER_IMPORT_MAX_BYTES:
            print("  over the byte limit: refused before it is read, so the row limit is not exercised")
            failed = True
            continue
        refuse(client, content, fmt)  # warm-up: imports, templates, the admin's URLconf
        for attempt in range(1, args.repeat + 1):
            result = refuse(client, content, fmt)
            growth = "n/a" if result["rss_growth_mb"] is None else f"{result['rss_growth_mb']:.1f} MB"
            timing = f"{result['seconds'] * 1000:.0f} ms ({result['cpu_seconds'] * 1000:.0f} ms CPU)"
            print(
                f"  run {attempt}: HTTP {result['status']}, refused={result['refused']}, {timing}, "
                f"Python peak {result['python_peak_mb']:.1f} MB, peak RSS growth {growth}"
            )
            ok = (
                result["refused"]
                and result["seconds"] < TARGET_SECONDS
                and (result["rss_growth_mb"] or 0) < TARGET_GROWTH_MB
                and result["python_peak_mb"] < TARGET_GROWTH_MB
            )
            failed |= not ok
        print(f"  message: {result['message']}")
    print(
        f"\nTarget: refused in < {TARGET_SECONDS:.0f} s with < {TARGET_GROWTH_MB:.0f} MB growth: "
        + ("met" if not failed else "NOT met")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
