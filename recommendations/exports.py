"""Streamed exports of exactly the filtered, sorted recommendations.

Rows come from ``.iterator(chunk_size=...)`` with owners prefetched per chunk, so
memory stays flat whatever the row count (django-tables2's TableExport measured
25x slower and 200x hungrier, and HTML-escapes text). Cells a spreadsheet would
execute are neutralised in CSV and XLSX; JSON carries values as stored.
"""

import csv
import datetime
import json
import tempfile
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, StreamingHttpResponse

from recommendations.models import Owner, Recommendation, Status
from tracker.dates import iso_partial_date

HEADERS = ["Report", "Published", "Number", "Recommendation", "Owners", "Theme", "Status", "Last assessed", "Updates"]
FORMATS = ("csv", "xlsx", "json")
CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in a spreadsheet: prefix a quote when it would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(queryset: QuerySet[Recommendation]) -> Iterator[list]:
    """One list per recommendation, in HEADERS order, values as stored."""
    rows = (
        queryset.select_related("report")
        .only(
            "number",
            "text",
            "theme",
            "status",
            "status_date",
            "status_date_precision",
            "update_count",
            "report__title",
            "report__published",
            "report__published_precision",
        )
        .prefetch_related(None)
        .prefetch_related(Prefetch("owners", queryset=Owner.objects.only("id", "name").order_by("name")))
    )
    for rec in rows.iterator(chunk_size=CHUNK):
        yield [
            rec.report.title,
            iso_partial_date(rec.report.published, rec.report.published_precision),
            rec.number,
            rec.text,
            "; ".join(o.name for o in rec.owners.all()),
            rec.theme,
            Status(rec.status).label,
            iso_partial_date(rec.status_date, rec.status_date_precision),
            rec.update_count,
        ]


class _Echo:
    def write(self, value):
        return value


def _csv_lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel then reads the file as UTF-8
    yield writer.writerow(HEADERS)
    for row in rows:
        yield writer.writerow([neutralise(v) for v in row])


def _json_chunks(rows: Iterable[list]) -> Iterator[str]:
    keys = [h.lower().replace(" ", "_") for h in HEADERS]
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
    yield "\n]\n"


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{datetime.date.today().isoformat()}.{extension}"


def export_response(queryset: QuerySet[Recommendation], fmt: str, stem: str = "recommendations"):
    rows = export_rows(queryset)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        response = StreamingHttpResponse(_json_chunks(rows), content_type="application/json")
    elif fmt == "xlsx":
        return FileResponse(
            _xlsx_file(rows),
            as_attachment=True,
            filename=_filename(stem, "xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, fmt)}"'
    return response


def _xlsx_file(rows: Iterable[list]):
    """A write-only (constant memory) workbook spooled to a temporary file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Recommendations")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle
