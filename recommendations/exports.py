"""Streamed exports of exactly the filtered, sorted recommendations.

Rows come from ``.iterator(chunk_size=...)``, each with its owners' names, so
memory stays flat whatever the row count (not django-tables2's TableExport, which holds
every row and HTML-escapes text: BENCHMARKS.md). Cells a spreadsheet would execute are
neutralised in CSV and XLSX; JSON carries values as stored. The CSV's lines and the
XLSX's cells are built by the database (``_cells_sql``), the same on SQLite and
PostgreSQL. The CSV and JSON stream as the rows come; the XLSX file is written in
constant memory into a temporary file and then streamed from it.
"""

import csv
import datetime
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import (
    Cast,
    Concat,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    LPad,
    NullIf,
    Replace,
    Substr,
)
from django.db.models.lookups import In
from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify

from recommendations.models import Recommendation, Status
from tracker.dates import DatePrecision, iso_partial_date

HEADERS = ["Report", "Published", "Number", "Recommendation", "Owners", "Theme", "Status", "Last assessed", "Updates"]
FORMATS = ("csv", "xlsx", "json")
CHUNK = 2000  # rows per database round trip
NUMBER_COLUMNS = (HEADERS.index("Number"), HEADERS.index("Updates"))  # the rest are text
XLSX_BLOCK = 64 * 1024  # bytes per piece of a streamed XLSX file
LINES = 500  # rows per piece of a streamed CSV: larger pieces raise the peak memory
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Free text: the only cells that can start like a formula (the rest are dates, numbers, labels).
TEXT_COLUMNS = (
    HEADERS.index("Report"),
    HEADERS.index("Recommendation"),
    HEADERS.index("Owners"),
    HEADERS.index("Theme"),
)


def neutralise(value):
    """Make a text cell inert in a spreadsheet: prefix a quote when it would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_rows(queryset: QuerySet[Recommendation]) -> Iterator[list]:
    """One list per recommendation, in HEADERS order, values as stored.

    Plain tuples, never model instances (several times cheaper: BENCHMARKS.md), from a
    server-side cursor (``.iterator()``): one query, whatever the row count, and each
    row's owners are on the row (``Recommendation.owner_names``)."""
    rows = queryset.prefetch_related(None).values_list(
        "report__title",
        "report__published",
        "report__published_precision",
        "number",
        "text",
        "owner_names",
        "theme",
        "status",
        "status_date",
        "status_date_precision",
        "update_count",
    )
    labels = {status.value: status.label for status in Status}
    dates = _PartialDates()
    for (
        title,
        published,
        published_precision,
        number,
        text,
        owners,
        theme,
        status,
        date,
        precision,
        count,
    ) in rows.iterator(chunk_size=CHUNK):
        yield [
            title,
            dates(published, published_precision),
            number,
            text,
            owners,
            theme,
            labels[status],
            dates(date, precision),
            count,
        ]


class _PartialDates(dict):
    """iso_partial_date, remembered: an export repeats a few hundred dates a hundred thousand times."""

    def __call__(self, value, precision):
        key = (value, precision)
        if key not in self:
            self[key] = iso_partial_date(value, precision)
        return self[key]


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# The CSV dialect: every text cell in double quotes, numbers bare (what csv.QUOTE_NONNUMERIC
# writes), so that the database can build the lines itself (_csv_lines_sql).
CSV_QUOTING = csv.QUOTE_NONNUMERIC
TEXT = CharField()


def _quoted(expression):
    """A text cell as CSV_QUOTING writes it: in double quotes, double quotes doubled."""
    return Concat(Value('"'), Replace(expression, Value('"'), Value('""')), Value('"'), output_field=TEXT)


def _inert(expression):
    """neutralise(), in SQL: a quote before a first character a spreadsheet would execute."""
    return Case(
        When(In(Substr(expression, 1, 1), list(FORMULA_STARTS)), then=Concat(Value("'"), expression)),
        default=expression,
        output_field=TEXT,
    )


def _partial_date(date: str, precision: str):
    """iso_partial_date(), in SQL: "2016-03-03", "2018-07", "2006" or ""."""
    year = LPad(Cast(ExtractYear(date), TEXT), 4, Value("0"))
    month = Concat(year, Value("-"), LPad(Cast(ExtractMonth(date), TEXT), 2, Value("0")))
    return Case(
        When(**{f"{date}__isnull": True}, then=Value("")),
        When(**{precision: DatePrecision.YEAR}, then=year),
        When(**{precision: DatePrecision.MONTH}, then=month),
        default=Concat(month, Value("-"), LPad(Cast(ExtractDay(date), TEXT), 2, Value("0"))),
        output_field=TEXT,
    )


def _cells_sql() -> list:
    """The exported cells as a spreadsheet shows them, as SQL expressions in HEADERS order
    (the same on SQLite and PostgreSQL): free text neutralised, partial dates as ISO text
    ("" when none), the status's label; the two numbers as stored."""
    labels = Case(*[When(status=s.value, then=Value(s.label)) for s in Status], output_field=TEXT)
    return [
        _inert(F("report__title")),
        _partial_date("report__published", "report__published_precision"),
        F("number"),
        _inert(F("text")),
        _inert(F("owner_names")),
        _inert(F("theme")),
        labels,
        _partial_date("status_date", "status_date_precision"),
        F("update_count"),
    ]


def _csv_lines_sql(queryset: QuerySet[Recommendation]):
    """Each recommendation's CSV line in three pieces, built by the database from
    ``_cells_sql()``, text cells quoted, with the owners' names from the row (parsing every
    value into Python and writing it out again with the csv module cost several times as
    much: BENCHMARKS.md)."""
    cells = [Cast(cell, TEXT) if i in NUMBER_COLUMNS else _quoted(cell) for i, cell in enumerate(_cells_sql())]
    comma = Value(",")
    # Three pieces: one Concat of all nineteen overflowed SQLite's parser stack.
    start = [piece for cell in cells[:4] for piece in (cell, comma)]
    end = [piece for cell in cells[5:] for piece in (comma, cell)]
    return (
        queryset.prefetch_related(None)
        .annotate(
            csv_start=Concat(*start, output_field=TEXT),
            csv_owners=cells[4],
            csv_end=Concat(*end, Value("\r\n"), output_field=TEXT),
        )
        .values_list("csv_start", "csv_owners", "csv_end")
    )


def _xlsx_rows_sql(queryset: QuerySet[Recommendation]):
    """The spreadsheet's rows, every cell's text prepared by the database (``_cells_sql()``),
    an empty text as NULL (an empty cell, not a cell holding empty text)."""
    cells = {
        f"xlsx_{i}": cell if i in NUMBER_COLUMNS else NullIf(cell, Value("")) for i, cell in enumerate(_cells_sql())
    }
    return queryset.prefetch_related(None).annotate(**cells).values_list(*cells)


def _csv_lines(queryset: QuerySet[Recommendation]) -> Iterator[str]:
    """The CSV text, a piece per LINES rows: exactly what csv.writer(quoting=CSV_QUOTING)
    writes for export_rows() with formulas neutralised (tests/test_recommendation_table.py
    holds the two equal)."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=CSV_QUOTING).writerow(HEADERS)
    yield "\ufeff" + buffer.getvalue()  # BOM: Excel then reads the file as UTF-8
    for piece in _chunks(_csv_lines_sql(queryset).iterator(chunk_size=CHUNK), LINES):
        yield "".join([start + owners + end for start, owners, end in piece])


def _json_chunks(rows: Iterable[list]) -> Iterator[str]:
    keys = [h.lower().replace(" ", "_") for h in HEADERS]
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
    yield "\n]\n"


def _filename(stem: str, extension: str) -> str:
    return f"{stem}-{datetime.date.today().isoformat()}.{extension}"


def export_response(queryset: QuerySet[Recommendation], fmt: str, stem: str = "recommendations", about: str = ""):
    """``about``: whose recommendations these are when not everyone's ("addressed to
    Inverclyde Alliance or to all CPPs"): in the file's name, and an XLSX's "About" sheet."""
    if about:
        stem = f"{stem}-{slugify(about)}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(queryset), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        response = StreamingHttpResponse(_json_chunks(export_rows(queryset)), content_type="application/json")
    elif fmt == "xlsx":
        # Built whole in a temporary file first (a zip's directory comes last), then streamed.
        response = FileResponse(
            _xlsx_file(_xlsx_rows_sql(queryset).iterator(chunk_size=CHUNK), about),
            as_attachment=True,
            filename=_filename(stem, "xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response.block_size = XLSX_BLOCK
        return response
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem, fmt)}"'
    return response


# Cell types: numbers (Number, Updates) as numbers, everything else as text. Dates are
# partial ("2018-07", "2006"), so they stay ISO text rather than invent a day. The writer
# keeps every string a string: text starting with "=" or "http" is never made a formula or
# a link, and neutralise() still prefixes the quote a spreadsheet reading CSV would need.


def _xlsx_records(rows: Iterable[tuple]) -> Iterator[dict]:
    """Rows as the writer takes them: a dict per row, keyed by header. With no rows at
    all, one row of empty cells, so that the sheet still has its header row."""
    empty = True
    for row in rows:
        empty = False
        yield dict(zip(HEADERS, row))  # noqa: B905 - every row has HEADERS' length
    if empty:
        yield dict.fromkeys(HEADERS)


def _xlsx_file(rows: Iterable[tuple], about: str = ""):
    """The workbook in a temporary file, returned open at its start for FileResponse to
    stream in blocks. rustpy-xlsxwriter (Python bindings to rust_xlsxwriter, the Rust port
    of XlsxWriter) takes the rows lazily and writes the sheet in constant memory; its file
    is built whole before the first byte leaves (a zip's directory comes last). Given a
    path, it writes to disk; given a Python file object, it would hold the whole file in
    memory first."""
    from rustpy_xlsxwriter import write_worksheets

    directory = tempfile.mkdtemp(prefix="tracker-export-")
    try:
        path = os.path.join(directory, "export.xlsx")
        sheets = [("Recommendations", _xlsx_records(rows))]
        if about:
            # One column: its heading says whose these are, the row below when they were exported.
            whose = f"The recommendations {about}: the ones this account may see, not every one."
            sheets.append(("About", [{whose: f"Exported {datetime.date.today():%d/%m/%Y}."}]))
        write_worksheets(sheets, path)
        return open(path, "rb")  # noqa: SIM115 - FileResponse closes it; the open file outlives its name
    finally:
        shutil.rmtree(directory)
