"""Streamed exports of exactly the filtered, sorted recommendations.

Rows come from ``.iterator(chunk_size=...)``, each with its owners' names, so
memory stays flat whatever the row count (django-tables2's TableExport measured
25x slower and 200x hungrier, and HTML-escapes text). Cells a spreadsheet would
execute are neutralised in CSV and XLSX; JSON carries values as stored. The CSV's
lines are built by the database (``_csv_lines_sql``), the same on SQLite and PostgreSQL,
and streamed as they come. The XLSX file is written in constant memory into a temporary
file and then streamed from it.
"""

import csv
import datetime
import io
import json
import tempfile
from collections.abc import Iterable, Iterator

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, ExtractDay, ExtractMonth, ExtractYear, LPad, Replace, Substr
from django.db.models.lookups import In
from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify

from recommendations.models import Recommendation, Status
from tracker.dates import DatePrecision, iso_partial_date

HEADERS = ["Report", "Published", "Number", "Recommendation", "Owners", "Theme", "Status", "Last assessed", "Updates"]
FORMATS = ("csv", "xlsx", "json")
CHUNK = 2000  # rows per database round trip
XLSX_BLOCK = 64 * 1024  # bytes per piece of a streamed XLSX file
LINES = 500  # rows per piece of a streamed CSV: a piece of 2,000 rows doubled the peak memory
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

    Plain tuples, never model instances, from a server-side cursor (``.iterator()``): one
    query, whatever the row count, and each row's owners are on the row
    (``Recommendation.owner_names``). Model instances with prefetched owners exported
    10,000 rows/s at 100,000 rows; tuples 50,000 (BENCHMARKS.md)."""
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


def _csv_lines_sql(queryset: QuerySet[Recommendation]):
    """Each recommendation's CSV line in three pieces, built by the database: quoting, partial
    dates, status labels and formula neutralising as SQL expressions, the same on SQLite
    and PostgreSQL, with the owners' names from the row. Parsing every value into Python
    and writing it out again with the csv module was 60,000 rows/s at 100,000 rows, and
    fetching each 2,000 rows' owners a third of what was left (BENCHMARKS.md)."""
    labels = Case(*[When(status=s.value, then=Value(s.label)) for s in Status], output_field=TEXT)
    comma = Value(",")
    # Three pieces: one Concat of all nineteen overflowed SQLite's parser stack.
    return (
        queryset.prefetch_related(None)
        .annotate(
            csv_start=Concat(
                _quoted(_inert(F("report__title"))),
                comma,
                _quoted(_partial_date("report__published", "report__published_precision")),
                comma,
                Cast("number", TEXT),
                comma,
                _quoted(_inert(F("text"))),
                comma,
                output_field=TEXT,
            ),
            csv_owners=_quoted(_inert(F("owner_names"))),
            csv_end=Concat(
                comma,
                _quoted(_inert(F("theme"))),
                comma,
                _quoted(labels),
                comma,
                _quoted(_partial_date("status_date", "status_date_precision")),
                comma,
                Cast("update_count", TEXT),
                Value("\r\n"),
                output_field=TEXT,
            ),
        )
        .values_list("csv_start", "csv_owners", "csv_end")
    )


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
    rows = export_rows(queryset)
    if about:
        stem = f"{stem}-{slugify(about)}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(queryset), content_type="text/csv; charset=utf-8")
    elif fmt == "json":
        response = StreamingHttpResponse(_json_chunks(rows), content_type="application/json")
    elif fmt == "xlsx":
        # Built whole in a temporary file first (a zip's directory comes last), then streamed.
        response = FileResponse(
            _xlsx_file(rows, about),
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


# XlsxWriter's options: a text cell is always text. By default it would turn text starting
# with "=" into a formula, a URL into a hyperlink (at most 65,530 a sheet) and "12" into 12.
XLSX_OPTIONS = {
    "constant_memory": True,  # each row is written out when the next starts; text in-line
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
# Column types, in HEADERS order: numbers as numbers, everything else as text. Dates are
# partial ("2018-07", "2006"), so they stay ISO text rather than invent a day.
NUMBER_COLUMNS = (HEADERS.index("Number"), HEADERS.index("Updates"))


def _xlsx_file(rows: Iterable[list], about: str = ""):
    """The workbook, written by XlsxWriter in constant-memory mode into a temporary file
    (returned at its start, for FileResponse to stream in chunks): memory stays flat
    whatever the row count. It replaced openpyxl's write-only mode, which was the
    export's bottleneck (BENCHMARKS.md, "XLSX export (#18)")."""
    import xlsxwriter

    handle = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(handle, XLSX_OPTIONS)
    sheet = workbook.add_worksheet("Recommendations")
    sheet.write_row(0, 0, HEADERS)
    text, number = sheet.write_string, sheet.write_number
    columns = [(i, number if i in NUMBER_COLUMNS else text, i in TEXT_COLUMNS) for i in range(len(HEADERS))]
    for r, row in enumerate(rows, start=1):
        for i, write, free_text in columns:
            value = row[i]
            if value is None or value == "":
                continue  # an empty cell, not a cell holding empty text
            write(r, i, neutralise(value) if free_text else value)
    if about:
        notes = workbook.add_worksheet("About")
        notes.write_string(0, 0, f"The recommendations {about}: the ones this account may see, not every one.")
        notes.write_string(1, 0, f"Exported {datetime.date.today():%d/%m/%Y}.")
    workbook.close()
    handle.seek(0)
    return handle
