"""Bulk import through the admin: template, preview, all-or-nothing, clear row-level errors.

The bad-file corpus: every file is refused with a message naming the row (or the
file's problem) and the database is compared, row by row, before and after."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission

from recommendations.models import ClosureEvent, Owner, ProgressUpdate, Recommendation, Response, Status
from reports.models import Report
from tests.conftest import _make_user
from tests.importing import (
    REC_HEADERS,
    UPDATE_HEADERS,
    confirm,
    csv_bytes,
    import_file,
    page_errors,
    snapshot,
    upload,
    xlsx_bytes,
)
from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker.roles import ADMIN

pytestmark = pytest.mark.django_db

NEW = "a-new-report-2026"
R2016 = "community-planning-update-2016"


@pytest.fixture
def new_report(seeded):
    return Report.objects.create(
        slug=NEW,
        title="A new report",
        short_title="New report",
        published=datetime.date(2026, 3, 1),
        kind=Report.Kind.PERFORMANCE_AUDIT,
    )


def rec(number, text=None, owners="COSLA; Scottish Government", theme="Leadership", report=NEW, dims="", carries=""):
    return [report, number, theme, text or f"Recommendation {number}: do the thing well.", owners, dims, carries]


def good_rows(n=3):
    return [rec(i) for i in range(1, n + 1)]


def upd(number=1, assessed="2026-06-30", rag="Amber", summary="Some progress made.", key="", report=R2016, **extra):
    row = {
        "report": report,
        "number": number,
        "assessed_on": assessed,
        "rag": rag,
        "part": "",
        "summary": summary,
        "evidence": "Paragraph 23, page 14",
        "published_in": "",
        "concerns": "",
        "source_key": key,
    }
    row.update(extra)
    return [row[h] for h in UPDATE_HEADERS]


# --- the happy path ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_valid_file_previews_then_imports_with_history(admin_client_, new_report, fmt):
    content = csv_bytes(good_rows()) if fmt == "csv" else xlsx_bytes(good_rows())
    before = snapshot()
    preview = upload(admin_client_, content, fmt=fmt)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview" in page and page.count('<tr class="new">') == 3
    assert "Recommendation 2: do the thing well." in page
    assert "COSLA; Scottish Government" in page  # the preview shows owners as they will be saved
    assert snapshot() == before  # the preview wrote nothing

    done = confirm(admin_client_, preview)
    assert done.status_code == 302
    assert "3 new" in admin_client_.get(done.url).content.decode()
    recs = list(new_report.recommendations.order_by("number"))
    assert [r.number for r in recs] == [1, 2, 3]
    assert {o.name for o in recs[0].owners.all()} == {"COSLA", "Scottish Government"}
    assert all(r.status == Status.NEVER_ASSESSED for r in recs)
    # Recorded in the admin's change history like single edits.
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id__in=[str(r.pk) for r in recs]).count() == 3


def test_a_row_for_an_existing_recommendation_is_previewed_as_a_change(admin_client_, new_report):
    import_file(admin_client_, csv_bytes(good_rows()))
    changed = good_rows()
    changed[1][3] = "Recommendation 2, reworded."
    preview = upload(admin_client_, csv_bytes(changed))
    page = preview.content.decode()
    assert page.count('<tr class="update">') == 1 and page.count('<tr class="skip">') == 2
    confirm(admin_client_, preview)
    assert new_report.recommendations.get(number=2).text == "Recommendation 2, reworded."
    assert new_report.recommendations.count() == 3


def test_owners_match_by_former_name_ignoring_case(admin_client_, new_report):
    import_file(admin_client_, csv_bytes([rec(1, owners="scottish executive;  inverclyde alliance ")]))
    owners = {o.slug for o in new_report.recommendations.get().owners.all()}
    assert owners == {"scottish-government", "inverclyde-alliance"}


def test_headers_ignore_case_and_spaces_and_a_utf8_bom_is_fine(admin_client_, new_report):
    headers = ["Report", "Number", "Theme", "Text", "Owners", "Audit dimensions", "Carries forward"]
    content = "\ufeff".encode() + csv_bytes([rec(1, text="Café culture – “quoted”")], headers=headers)
    import_file(admin_client_, content)
    assert new_report.recommendations.get().text == "Café culture – “quoted”"


def test_rich_text_keeps_allowed_formatting(admin_client_, new_report):
    text = '<p>Do <em>this</em>:</p><ul><li>one</li><li><a href="https://example.org/x">two</a></li></ul>'
    import_file(admin_client_, csv_bytes([rec(1, text=text)]))
    stored = new_report.recommendations.get()
    assert "<em>this</em>" in stored.text and 'href="https://example.org/x"' in stored.text
    page = admin_client_.get(stored.get_absolute_url()).content.decode()
    assert "<em>this</em>" in page and "<li>one</li>" in page


def test_progress_updates_import_through_the_service(admin_client_, seeded):
    target = Recommendation.objects.get(report__slug=R2016, number=4)
    count = target.update_count
    content = csv_bytes(
        [upd(4, "2026-05", "Red", "Stalled.", key="k1"), upd(4, "2026-06-30", "Green", "Done.", key="k2")],
        headers=UPDATE_HEADERS,
    )
    done = import_file(admin_client_, content, model="progressupdate")
    assert done.status_code == 302
    target.refresh_from_db()
    assert target.update_count == count + 2
    assert target.status == Status.GREEN and target.status_date == datetime.date(2026, 6, 30)
    may = ProgressUpdate.objects.get(source_key="k1")
    assert may.assessed_display == "May 2026" and may.evidence == [{"section": "", "paragraphs": ["23"], "page": 14}]
    assert may.author.username == "admin"
    logged = LogEntry.objects.filter(
        action_flag=ADDITION, content_type__model="progressupdate", object_id__in=[str(may.pk)]
    )
    assert logged.count() == 1  # in the admin's history, like an update added by hand
    # Importing the same file again adds nothing: both rows are recognised and skipped.
    again = upload(admin_client_, content, model="progressupdate")
    assert again.content.decode().count('<tr class="skip">') == 2
    confirm(admin_client_, again, model="progressupdate")
    assert ProgressUpdate.objects.filter(source_key__in=["k1", "k2"]).count() == 2


# --- the bad-file corpus -----------------------------------------------------


def _xlsx_with_formula() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(REC_HEADERS)
    sheet.append(rec(1))
    sheet.append([NEW, 2, "Theme", '=HYPERLINK("http://evil.example","click")', "COSLA", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# (name, model, format, file content, fragments the page must show)
CORPUS = [
    (
        "misspelt header",
        "recommendation",
        "csv",
        csv_bytes(good_rows(), headers=[*REC_HEADERS[:3], "recomendation", *REC_HEADERS[4:]]),
        ["missing column: text", "unknown column: 'recomendation'"],
    ),
    (
        "missing owners column",
        "recommendation",
        "csv",
        csv_bytes([r[:4] for r in good_rows()], headers=REC_HEADERS[:4]),
        ["missing column: owners"],
    ),
    (
        "repeated column",
        "recommendation",
        "csv",
        csv_bytes([[*r, "x"] for r in good_rows()], headers=[*REC_HEADERS, "theme"]),
        ["repeated column: theme"],
    ),
    ("no header row", "recommendation", "csv", csv_bytes(good_rows(), headers=None), ["The header row is not right"]),
    (
        "unknown owner",
        "recommendation",
        "csv",
        csv_bytes([rec(1), rec(2, owners="COSLA; Ministry of Magic")]),
        ["Row 3", "Unknown owner: 'Ministry of Magic'"],
    ),
    (
        "duplicate number",
        "recommendation",
        "csv",
        csv_bytes([rec(1), rec(2), rec(2, text="Another two")]),
        ["Row 4", "appears twice in this file (rows 3 and 4)"],
    ),
    (
        "empty text",
        "recommendation",
        "csv",
        csv_bytes([rec(1), [NEW, 2, "Theme", "   ", "COSLA", "", ""]]),
        ["Row 3", "text", "required and is empty"],
    ),
    (
        "number not a number",
        "recommendation",
        "csv",
        csv_bytes([rec("three")]),
        ["Row 2", "'three' is not a whole number from 1"],
    ),
    (
        "unknown report",
        "recommendation",
        "csv",
        csv_bytes([rec(1, report="no-such-report")]),
        ["Row 2", "No report has the slug 'no-such-report'"],
    ),
    (
        "unknown audit dimension",
        "recommendation",
        "csv",
        csv_bytes([rec(1, dims="Astrology")]),
        ["Row 2", "Unknown audit dimension: 'Astrology'"],
    ),
    (
        "bad carry-forward reference",
        "recommendation",
        "csv",
        csv_bytes([rec(1, carries="improving-community-planning-2013#99")]),
        ["Row 2", "is not an existing recommendation"],
    ),
    (
        "wrong date format",
        "progressupdate",
        "csv",
        csv_bytes([upd(1), upd(2, assessed="30/06/2026")], headers=UPDATE_HEADERS),
        ["Row 3", "'30/06/2026' is not a date this import reads"],
    ),
    (
        "future assessment date",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, assessed="2099-01-01")], headers=UPDATE_HEADERS),
        ["Row 2", "cannot be dated in the future"],
    ),
    (
        "assessment before its report",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, assessed="2015-01-01")], headers=UPDATE_HEADERS),
        ["Row 2", "cannot be dated before its report was published"],
    ),
    (
        "invalid RAG word",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, rag="Purple")], headers=UPDATE_HEADERS),
        ["Row 2", "'Purple' is not a rating"],
    ),
    (
        "unknown recommendation number",
        "progressupdate",
        "csv",
        csv_bytes([upd(99)], headers=UPDATE_HEADERS),
        ["Row 2", "has no recommendation number 99"],
    ),
    (
        "unreadable evidence",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, evidence="see the appendix somewhere!!")], headers=UPDATE_HEADERS),
        ["Row 2", "Could not read the evidence reference"],
    ),
    (
        "duplicate source key",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, key="same"), upd(2, key="same")], headers=UPDATE_HEADERS),
        ["Row 3", "The source key 'same' appears twice (rows 2 and 3)"],
    ),
    (
        "wrong encoding (Windows-1252)",
        "recommendation",
        "csv",
        csv_bytes([rec(1, text="Café society – better")], encoding="cp1252"),
        ["not UTF-8 text"],
    ),
    (
        "UTF-16 with a BOM (Excel 'Unicode text')",
        "recommendation",
        "csv",
        csv_bytes(good_rows(), encoding="utf-16"),
        ["not UTF-8 text"],
    ),
    ("empty file", "recommendation", "csv", b"", ["The submitted file is empty"]),
    ("header but no rows", "recommendation", "csv", csv_bytes([]), ["No valid data to import"]),
    (
        "formula cell in a CSV",
        "recommendation",
        "csv",
        csv_bytes([rec(1), rec(2, text='=HYPERLINK("http://evil.example","click")')]),
        ["Row 3", "looks like a spreadsheet formula"],
    ),
    (
        "@ formula cell",
        "recommendation",
        "csv",
        csv_bytes([rec(1, theme="@SUM(1+1)*cmd|' /C calc'!A0")]),
        ["Row 2", "looks like a spreadsheet formula"],
    ),
    (
        "minus formula (DDE payload)",
        "recommendation",
        "csv",
        csv_bytes([rec(1), rec(2, text="-2+3+cmd|' /C calc'!A0")]),
        ["Row 3", "looks like a spreadsheet formula (it starts with '-')"],
    ),
    (
        "plus formula after leading spaces",
        "recommendation",
        "csv",
        csv_bytes([rec(1, theme="   +cmd|' /C calc'!A0")]),
        ["Row 2", "looks like a spreadsheet formula (it starts with '+')"],
    ),
    (
        "tab-led cell",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, part="\t=1+1")], headers=UPDATE_HEADERS),
        ["Row 2", "looks like a spreadsheet formula (it starts with '\\t')"],
    ),
    (
        "source publication older than the recommendation's report",
        "progressupdate",
        "csv",
        csv_bytes([upd(1), upd(2, published_in="improving-community-planning-2013")], headers=UPDATE_HEADERS),
        ["Row 3", "'improving-community-planning-2013' was published", "must be that report or a later one"],
    ),
    (
        "formula cell in an XLSX",
        "recommendation",
        "xlsx",
        _xlsx_with_formula(),
        ["Row 3", "looks like a spreadsheet formula"],
    ),
    (
        "script tag",
        "recommendation",
        "csv",
        csv_bytes([rec(1, text="Fine <script>alert(1)</script>")]),
        ["Row 2", "markup that is not allowed: <script>"],
    ),
    (
        "event handler and javascript: link",
        "recommendation",
        "csv",
        csv_bytes([rec(1, text='<a href="javascript:alert(1)" onclick="x()">go</a>')]),
        ["Row 2", 'the onclick="…" attribute', "a javascript: link"],
    ),
    (
        "svg onload",
        "progressupdate",
        "csv",
        csv_bytes([upd(1, summary="<svg onload=alert(1)>")], headers=UPDATE_HEADERS),
        ["Row 2", "<svg>"],
    ),
    (
        "markup in a plain-text column",
        "recommendation",
        "csv",
        csv_bytes([rec(1, theme="<b>Bold theme</b>")]),
        ["Row 2", "theme", "Plain text only"],
    ),
    ("xlsx uploaded as CSV", "recommendation", "csv", xlsx_bytes(good_rows()), ["not UTF-8 text"]),
    (
        "not a spreadsheet at all",
        "recommendation",
        "xlsx",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        ["could not be read as the format chosen"],
    ),
    (
        "a valid file with one bad row at the end",
        "recommendation",
        "csv",
        csv_bytes([*good_rows(12), rec(13, owners="Nobody In Particular")]),
        ["Row 14", "Unknown owner: 'Nobody In Particular'"],
    ),
]


@pytest.mark.parametrize(("model", "fmt", "content", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_a_bad_file_changes_nothing_and_says_why(admin_client_, new_report, model, fmt, content, expected):
    before = snapshot()
    response = upload(admin_client_, content, model=model, fmt=fmt)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None  # no way on to the import
    message = " ".join(page_errors(response).split())
    for fragment in expected:
        assert fragment in message, (fragment, message[:1500])
    assert "Traceback" not in response.content.decode()
    assert snapshot() == before


def _row_errors(response) -> list[tuple[str, str, str]]:
    """(row, column, problem) for each line of the import's error table, as a user reads it."""
    import re
    from html import unescape

    html = response.content.decode()
    table = html[html.find('id="import-row-errors"') :]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table, re.S)
    return [tuple(" ".join(unescape(re.sub(r"<[^>]+>", "", c)).split()) for c in row) for row in cells]


FORMULA_CELLS = ["-2+3+cmd|' /C calc'!A0", "=1+2", "+SUM(A1)", "@SUM(1+1)", "\t=1", "\tText", "  -1+1", "\n=1"]


@pytest.mark.parametrize(
    ("fmt", "cell"), [("csv", c) for c in FORMULA_CELLS] + [("xlsx", c) for c in [FORMULA_CELLS[0], "\tText"]]
)
def test_every_formula_like_cell_is_refused_with_its_row_and_column(admin_client_, new_report, fmt, cell):
    before = snapshot()
    make = csv_bytes if fmt == "csv" else xlsx_bytes
    response = upload(admin_client_, make([rec(1), rec(2, theme=cell)]), fmt=fmt)
    assert response.context.get("confirm_form") is None
    errors = _row_errors(response)
    assert len(errors) == 1, errors
    row, column, problem = errors[0]
    assert (row, column) == ("Row 3", "theme")
    assert "looks like a spreadsheet formula" in problem
    assert snapshot() == before


def test_formula_like_text_escaped_with_an_apostrophe_and_inner_bullet_lines_import(admin_client_, new_report):
    """The README's rule: only a cell's first character counts, and an apostrophe makes it text."""
    bullets = "Do these:\n- agree a plan\n- report on it\n+ and publish it"
    import_file(admin_client_, csv_bytes([rec(1, text=bullets), rec(2, text="'-2+3 is not a formula here")]))
    texts = list(new_report.recommendations.order_by("number").values_list("text", flat=True))
    assert texts == [bullets, "-2+3 is not a formula here"]


def test_a_negative_number_is_a_number_not_a_formula(admin_client_, new_report):
    response = upload(admin_client_, csv_bytes([rec(-1)]))
    assert _row_errors(response) == [("Row 2", "number", "'-1' is not a whole number from 1.")]


def test_a_source_publication_older_than_the_report_is_refused_and_nothing_is_written(admin_client_, seeded):
    target = Recommendation.objects.get(report__slug=R2016, number=1)
    before = snapshot()
    content = csv_bytes(
        [upd(1, key="ok"), upd(1, key="old", published_in="improving-community-planning-2013")],
        headers=UPDATE_HEADERS,
    )
    response = upload(admin_client_, content, model="progressupdate")
    assert response.context.get("confirm_form") is None
    [(row, column, problem)] = _row_errors(response)
    assert (row, column) == ("Row 3", "published_in")
    assert "before the report this recommendation is in (community-planning-update-2016" in problem
    assert snapshot() == before
    # The recommendation's own report, or a later one, is accepted.
    content = csv_bytes(
        [
            upd(1, key="same", published_in=R2016),
            upd(1, key="later", published_in="community-planning-update-impact-2018"),
        ],
        headers=UPDATE_HEADERS,
    )
    assert import_file(admin_client_, content, model="progressupdate").status_code == 302
    target.refresh_from_db()
    assert ProgressUpdate.objects.filter(recommendation=target, source_key__in=["same", "later"]).count() == 2


def test_the_corpus_is_at_least_twenty_files():
    assert len(CORPUS) >= 20


def test_an_oversized_file_is_refused_before_it_is_read(admin_client_, new_report, settings):
    settings.TRACKER_IMPORT_MAX_BYTES = 1024
    before = snapshot()
    response = upload(admin_client_, csv_bytes(good_rows(40)))
    assert "the largest file that can be imported is 1.0\xa0KB" in page_errors(response)
    assert snapshot() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_rows_is_refused_naming_the_limit(admin_client_, new_report, settings, fmt):
    settings.TRACKER_IMPORT_MAX_ROWS = 5
    make = csv_bytes if fmt == "csv" else xlsx_bytes
    before = snapshot()
    response = upload(admin_client_, make(good_rows(6)), fmt=fmt)
    assert response.context.get("confirm_form") is None
    assert "The file has more than 5 rows; at most 5 can be imported at once" in page_errors(response)
    assert snapshot() == before
    # At the limit, with blank rows inside and formatted blank rows after, the file is fine.
    rows = [*good_rows(2), [""] * 7, *good_rows(4)[2:4], *[[""] * 7] * 5]
    preview = upload(admin_client_, make(rows), fmt=fmt)
    assert preview.context.get("confirm_form") is not None, page_errors(preview)
    confirm(admin_client_, preview)
    assert new_report.recommendations.count() == 4


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_long_file_is_refused_without_reading_it_all(admin_client_, new_report, settings, fmt, monkeypatch):
    """The limit is checked while reading: no row past the first one over it is read."""
    from recommendations import admin_import

    settings.TRACKER_IMPORT_MAX_ROWS = 5
    read = []
    real = admin_import.read_limited

    def counting(rows, *args, **kwargs):
        def spy():
            for row in rows:
                read.append(row)
                yield row

        return real(spy(), *args, **kwargs)

    monkeypatch.setattr(admin_import, "read_limited", counting)
    make = csv_bytes if fmt == "csv" else xlsx_bytes
    response = upload(admin_client_, make(good_rows(200)), fmt=fmt)
    assert "at most 5 can be imported at once" in page_errors(response)
    assert len(read) == 1 + 6  # the header, five rows, and the first one too many


def test_a_file_of_blank_rows_past_the_limit_is_refused(admin_client_, new_report, settings):
    settings.TRACKER_IMPORT_MAX_ROWS = 5
    response = upload(admin_client_, xlsx_bytes([*good_rows(1), *[[""] * 7] * 11, rec(2)]), fmt="xlsx")
    assert "more than 5 rows below the header, most of them empty" in page_errors(response)
    assert new_report.recommendations.count() == 0


def _rezip(content: bytes, change) -> bytes:
    """The same workbook with each part passed through change(name, bytes)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def test_xlsx_rows_are_read_whatever_size_the_sheet_claims(admin_client_, new_report):
    """openpyxl's read-only mode stops at the sheet's <dimension>; a file can misstate it."""
    import re

    def misstate(name, data):
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:G2"/>', data)
        return data

    content = _rezip(xlsx_bytes(good_rows(3)), misstate)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet.max_row == 2  # what openpyxl alone would read
    import_file(admin_client_, content, fmt="xlsx")
    assert new_report.recommendations.count() == 3


def test_an_xlsx_that_unpacks_to_far_more_than_its_size_is_refused(admin_client_, new_report, settings):
    settings.TRACKER_IMPORT_MAX_BYTES = 20 * 1024  # so parts beyond its rows may unpack to 200 KB

    def pad(name, data):
        return data + b"<!--" + b"a" * 300 * 1024 + b"-->" if name == "xl/styles.xml" else data

    content = _rezip(xlsx_bytes(good_rows(2)), pad)
    assert len(content) < settings.TRACKER_IMPORT_MAX_BYTES
    response = upload(admin_client_, content, fmt="xlsx")
    assert "at most 200.0\xa0KB can be read" in page_errors(response)
    assert new_report.recommendations.count() == 0


def test_a_change_between_preview_and_confirmation_still_writes_nothing(admin_client_, new_report):
    """The confirmed import re-checks every row, in one transaction."""
    preview = upload(admin_client_, csv_bytes([rec(1), rec(2, owners="COSLA; Scottish Government")]))
    Owner.objects.filter(name="Scottish Government").update(name="Scottish Government (renamed)", former_names="")
    before = snapshot()
    response = confirm(admin_client_, preview)
    assert response.status_code == 400
    assert "Unknown owner: 'Scottish Government'" in " ".join(page_errors(response).split())
    assert snapshot() == before


# --- the confirmation step ------------------------------------------------------
# The confirm form carries a signed token, never a file name: a changed, forged, foreign,
# expired or replayed confirmation is a 400 page, and nothing is written or deleted.

PROCESS = "/admin/recommendations/recommendation/process_import/"


@pytest.fixture
def stash(settings, tmp_path):
    settings.TRACKER_IMPORT_TMP_DIR = str(tmp_path / "stash")
    return tmp_path / "stash"


@pytest.fixture
def victims(stash, tmp_path):
    """Files an attacker would like read or deleted: another upload waiting in the import's
    folder, and a file beside it."""
    from recommendations.admin_import import stash_dir

    waiting = stash_dir() / ("ab" * 16)
    waiting.write_bytes(b"report,number\nsecret-report,1\n")
    beside = tmp_path / "settings.env"
    beside.write_bytes(b"SECRET=1\n")
    return [waiting, beside]


def _refused(response, reason):
    assert response.status_code == 400
    page = " ".join(page_errors(response).split())
    assert reason in page and "Nothing was imported" in page, page[:800]
    return page


def _token(preview):
    return preview.context["confirm_form"].initial["token"]


def test_a_changed_or_forged_confirmation_is_refused_and_touches_no_file(
    admin_client_, admin_user, new_report, stash, victims
):
    from django.core import signing

    from recommendations.admin_import import CONFIRM_SALT

    preview = upload(admin_client_, csv_bytes(good_rows()))
    token = _token(preview)
    own_files = sorted(p.name for p in stash.iterdir())
    before = snapshot()
    forged = {
        "user": admin_user.pk,
        "model": "recommendations.recommendation",
        "file": victims[0].name,
        "sha256": "0" * 64,
        "name": "x.csv",
        "format": "0",
        "resource": "0",
    }
    attempts = {
        "changed": {"token": token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")},
        "forged": {"token": signing.dumps(forged, salt=CONFIRM_SALT, key="not-this-site's-secret")},
        "wrong salt": {"token": signing.dumps(forged)},
        "no token": {},
        "a path, as the library's form took": {
            "import_file_name": f"../{victims[1].name}",
            "original_file_name": "x.csv",
            "format": "0",
            "resource": "0",
        },
    }
    for name, data in attempts.items():
        response = admin_client_.post(PROCESS, data)
        reason = "incomplete" if "token" not in data else "not issued by this site"
        page = _refused(response, reason)
        assert "secret" not in page.lower(), name
        assert snapshot() == before, name
        assert [v.read_bytes() for v in victims] == [b"report,number\nsecret-report,1\n", b"SECRET=1\n"], name
        assert sorted(p.name for p in stash.iterdir()) == own_files, name
    # The genuine confirmation still works.
    assert confirm(admin_client_, preview).status_code == 302
    assert new_report.recommendations.count() == 3
    assert victims[0].exists()


def test_a_confirmation_from_another_user_is_refused(client, admin_client_, django_user_model, new_report, stash):
    preview = upload(admin_client_, csv_bytes(good_rows()))
    other = _make_user(django_user_model, "other-admin", ADMIN, is_staff=True, is_superuser=True)
    intruder = type(client)()
    intruder.force_login(other)
    before = snapshot()
    _refused(intruder.post(PROCESS, {"token": _token(preview)}), "issued to another user")
    assert snapshot() == before
    # Nor does the token confirm an import of another model, for its own user.
    response = admin_client_.post("/admin/recommendations/progressupdate/process_import/", {"token": _token(preview)})
    _refused(response, "issued to another user or for another import")
    assert snapshot() == before
    assert confirm(admin_client_, preview).status_code == 302  # its user's file was left alone
    assert new_report.recommendations.count() == 3


def test_a_replayed_confirmation_is_refused_and_adds_no_rows(admin_client_, seeded, stash):
    """History rows without a source key would be added twice by a second confirmation."""
    target = Recommendation.objects.get(report__slug=R2016, number=2)
    count = target.update_count
    content = csv_bytes([upd(2, summary="Replayed?")], headers=UPDATE_HEADERS)
    preview = upload(admin_client_, content, model="progressupdate")
    assert confirm(admin_client_, preview, model="progressupdate").status_code == 302
    before = snapshot()
    again = confirm(admin_client_, preview, model="progressupdate")
    _refused(again, "already been confirmed")
    assert snapshot() == before
    target.refresh_from_db()
    assert target.update_count == count + 1
    assert list(stash.iterdir()) == []  # the confirmed upload is gone


def test_an_expired_confirmation_is_refused(admin_client_, new_report, stash, settings):
    preview = upload(admin_client_, csv_bytes(good_rows()))
    settings.TRACKER_IMPORT_CONFIRM_MAX_AGE = -1
    before = snapshot()
    _refused(confirm(admin_client_, preview), "This preview has expired")
    assert snapshot() == before


# --- templates, permission, export -------------------------------------------


def test_templates_download_with_the_columns(admin_client_, seeded):
    csv_template = admin_client_.get("/admin/recommendations/recommendation/import/template.csv")
    assert csv_template.status_code == 200
    assert csv_template.content.decode().strip() == ",".join(REC_HEADERS)
    xlsx_template = admin_client_.get("/admin/recommendations/progressupdate/import/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_template.content))
    assert [c.value for c in book["Import"][1]] == UPDATE_HEADERS
    assert "Inverclyde Alliance" in [row[0].value for row in book["Owners"].iter_rows()]
    assert R2016 in [row[0].value for row in book["Reports"].iter_rows()]


def test_the_import_page_explains_the_columns(admin_client_, seeded):
    page = admin_client_.get("/admin/recommendations/recommendation/import/").content.decode()
    assert "Excel template (.xlsx)" in page and "owners" in page and R2016 in page


@pytest.fixture
def staff_without_import(django_user_model, seeded):
    user = _make_user(django_user_model, "staff-no-import", ADMIN, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="recommendations",
            codename__in=["view_recommendation", "add_recommendation", "change_recommendation", "view_progressupdate"],
        )
    )
    return user


def test_staff_without_the_import_permission_cannot_import(client, staff_without_import, new_report):
    client.force_login(staff_without_import)
    changelist = client.get("/admin/recommendations/recommendation/")
    assert changelist.status_code == 200 and "/import/" not in changelist.content.decode()
    before = snapshot()
    for url in ("import/", "import/template.csv"):
        assert client.get(f"/admin/recommendations/recommendation/{url}").status_code == 403
    response = upload(client, csv_bytes(good_rows()))
    assert response.status_code == 403
    assert client.post("/admin/recommendations/recommendation/process_import/", {}).status_code == 403
    assert snapshot() == before
    # Granted the permission, the same user can.
    staff_without_import.user_permissions.add(Permission.objects.get(codename="import_recommendation"))
    assert client.get("/admin/recommendations/recommendation/import/").status_code == 200


def test_admin_export_neutralises_formulas(admin_client_, new_report):
    """Exports from the admin make every formula-like cell inert, not only "="."""
    from recommendations.resources import RecommendationResource

    Recommendation.objects.bulk_create(
        [
            Recommendation(report=new_report, number=i, text=text)
            for i, text in enumerate(["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tTab", "Plain"], 1)
        ]
    )
    dataset = RecommendationResource().export(new_report.recommendations.order_by("number"))
    assert [row[3] for row in dataset] == ["'=1+2", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tTab", "Plain"]


# --- round trip ----------------------------------------------------------------


def _admin_export(client, model, resource, fields, fmt="csv"):
    data = {"format": "0" if fmt == "csv" else "1", "resource": "0"}
    data.update({f"{resource}_{name}": "on" for name in fields})
    response = client.post(f"/admin/recommendations/{model}/export/", data)
    assert response.status_code == 200, response.content[:500]
    return response.content


def _content():
    """The seeded content, independent of primary keys and of who imported it."""
    recs = {
        (r.report.slug, r.number): (
            r.theme,
            r.text,
            sorted(o.slug for o in r.owners.all()),
            sorted(d.slug for d in r.audit_dimensions.all()),
            sorted(f"{c.report.slug}#{c.number}" for c in r.carries_forward.all()),
            r.status,
            r.status_date,
            r.status_date_precision,
            r.update_count,
        )
        for r in Recommendation.objects.select_related("report").prefetch_related(
            "owners", "audit_dimensions", "carries_forward__report"
        )
    }
    updates = [
        (
            u.recommendation.report.slug,
            u.recommendation.number,
            u.assessed_on,
            u.assessed_precision,
            u.rag,
            u.part,
            u.summary,
            u.evidence,
            u.published_in.slug if u.published_in else None,
            u.concerns.slug if u.concerns else None,
            u.source_key,
        )
        for u in ProgressUpdate.objects.select_related("recommendation__report", "published_in", "concerns").order_by(
            "recommendation__report__slug", "recommendation__number", "assessed_on", "created", "id"
        )
    ]
    return recs, updates


def test_round_trip_export_then_import_into_an_empty_database_gives_identical_content(admin_client_, seeded):
    from recommendations.resources import ProgressUpdateResource, RecommendationResource, ResponseResource

    before = _content()
    assert len(before[0]) == 50 and len(before[1]) == 29
    recs_csv = _admin_export(admin_client_, "recommendation", "recommendationresource", RecommendationResource.columns)
    updates_xlsx = _admin_export(
        admin_client_, "progressupdate", "progressupdateresource", ProgressUpdateResource.columns, fmt="xlsx"
    )
    assert recs_csv.decode("utf-8-sig").splitlines()[0] == ",".join(REC_HEADERS)

    ClosureEvent.objects.all().delete()  # a recommendation's life is not in these files (#20)
    responses_csv = _admin_export(admin_client_, "response", "responseresource", ResponseResource.columns)
    responses_before = _responses()
    assert len(responses_before) == 3  # Inverclyde's board paper (#19)

    Response.objects.all().delete()
    ProgressUpdate.objects.all().delete()
    Recommendation.objects.all().delete()
    assert _content() == ({}, [])

    import_file(admin_client_, recs_csv)
    import_file(admin_client_, updates_xlsx, model="progressupdate", fmt="xlsx")
    import_file(admin_client_, responses_csv, model="response")
    after = _content()
    assert after[0] == before[0]  # text, owners, dimensions, links, and the current status derived again
    assert after[1] == before[1]
    assert _responses() == responses_before


def _responses() -> list[tuple]:
    return sorted(
        Response.objects.values_list(
            "recommendation__report__slug", "recommendation__number", "organisation__slug", "progress",
            "text", "evidence", "responded_on", "responded_precision", "published_in__slug", "source_key",
        )
    )  # fmt: skip


# --- the XSS corpus through the import -----------------------------------------
# Every payload is either refused, with its row named, or stored and shown without
# anything a browser would run (tests/xss_payloads.py; the other roads are in
# tests/test_security_xss.py).


@pytest.mark.parametrize("column", ["text", "theme"])
def test_recommendation_import_refuses_or_neutralises_every_payload(admin_client_, new_report, column):
    accepted = []
    for number, payload in enumerate(PAYLOADS, 1):
        row = rec(number, text=payload) if column == "text" else rec(number, theme=payload)
        before = snapshot()
        preview = upload(admin_client_, csv_bytes([row]))
        assert_no_executable_vector(preview.content.decode(), where=f"import preview of {payload!r}")
        if preview.context.get("confirm_form") is None:
            assert "Row 2" in page_errors(preview), payload
            assert snapshot() == before
            continue
        import_file(admin_client_, csv_bytes([row]))
        accepted.append(number)
    assert accepted, "some payloads are harmless text and should import"
    assert len(accepted) < len(PAYLOADS)
    pages = ["/recommendations/?report=" + NEW, "/reports/" + NEW + "/", "/reports/" + NEW + "/appendix/"]
    pages += [r.get_absolute_url() for r in Recommendation.objects.filter(report__slug=NEW)]
    pages += [f"/admin/recommendations/recommendation/?report__id__exact={new_report.pk}"]
    for url in pages:
        response = admin_client_.get(url)
        assert response.status_code == 200, url
        assert_no_executable_vector(response.content.decode(), where=url)


@pytest.mark.parametrize("column", ["summary", "part"])
def test_update_import_refuses_or_neutralises_every_payload(admin_client_, seeded, column):
    target = Recommendation.objects.get(report__slug=R2016, number=3)
    initial, accepted = target.update_count, 0
    for payload in PAYLOADS:
        row = upd(3, summary=payload) if column == "summary" else upd(3, part=payload)
        preview = upload(admin_client_, csv_bytes([row], headers=UPDATE_HEADERS), model="progressupdate")
        assert_no_executable_vector(preview.content.decode(), where=f"import preview of {payload!r}")
        if preview.context.get("confirm_form") is not None:
            import_file(admin_client_, csv_bytes([row], headers=UPDATE_HEADERS), model="progressupdate")
            accepted += 1
        else:
            assert "Row 2" in page_errors(preview), payload
    target.refresh_from_db()
    assert target.update_count == initial + accepted == ProgressUpdate.objects.filter(recommendation=target).count()
    assert 0 < accepted < len(PAYLOADS)
    for url in [target.get_absolute_url(), f"/reports/{R2016}/", f"/reports/{R2016}/appendix/"]:
        response = admin_client_.get(url)
        assert response.status_code == 200
        assert_no_executable_vector(response.content.decode(), where=url)
