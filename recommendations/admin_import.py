"""The admin side of bulk import: file formats, upload limits, templates and messages.

django-import-export does the dry run, the preview and the transaction; this
module makes it strict (formulas visible, a size limit, only the import
permission) and says what went wrong in words an admin can act on.
"""

import csv
import hashlib
import io
import itertools
import re
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import openpyxl
import tablib
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from recommendations.models import Owner
from reports.models import Report
from tracker.metrics import import_run_record


class TooManyRows(ValueError):
    """The file is longer than TRACKER_IMPORT_MAX_ROWS: found while reading, so no more is read."""

    def __init__(self, limit: int, *, blank_tail: bool = False):
        self.limit = limit
        if blank_tail:
            message = (
                f"The file goes on for more than {limit:,} rows below the header, most of them empty; "
                f"at most {limit:,} rows can be imported at once. Delete the empty rows at its end "
                "(or the formatting on them) and upload it again."
            )
        else:
            message = (
                f"The file has more than {limit:,} rows; at most {limit:,} can be imported at once. "
                "Split it into smaller files."
            )
        super().__init__(message)


def _blank(row) -> bool:
    return all(value in (None, "") for value in row)


def read_limited(rows: Iterator, width: int | None = None, pad=None) -> tablib.Dataset:
    """A dataset of the header row and at most TRACKER_IMPORT_MAX_ROWS rows below it, reading
    no further than that: a longer file is refused as soon as its first row over the limit is
    read, so its size costs neither time nor memory.

    Rows are counted as a spreadsheet numbers them. Blank rows between data rows are kept (so
    row numbers in messages match the spreadsheet's); blank rows at the end (formatted but empty
    cells) are not data, but only up to as many again as the limit are read past it.
    """
    limit = settings.TRACKER_IMPORT_MAX_ROWS
    dataset = tablib.Dataset()
    header = next(rows, None)
    if header is None:
        return dataset
    dataset.headers = list(header)
    width = len(dataset.headers) if width is None else width
    pending_blanks = 0
    for position, row in enumerate(rows, 1):
        if _blank(row):
            pending_blanks += 1
            if position > 2 * limit:
                raise TooManyRows(limit, blank_tail=True)
            continue
        if position > limit:
            raise TooManyRows(limit)
        for _ in range(pending_blanks):
            dataset.append([pad] * width)
        pending_blanks = 0
        row = list(row)
        if len(row) < width:
            row += [pad] * (width - len(row))
        dataset.append(row)
    return dataset


class CSV(base_formats.CSV):
    """Read with csv.reader, stopping at the row limit (tablib would read every row first)."""

    def create_dataset(self, in_stream):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode(self.encoding or "utf-8-sig")
        return read_limited(csv.reader(io.StringIO(in_stream, newline="")), pad="")


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only worksheet that takes no size from the file. openpyxl's reads the sheet's
    <dimension> element, which a file may misstate (rows past it would be dropped without a
    word) or leave out (openpyxl then parses the whole sheet, however long, to find its end,
    before a single row is read). Rows are read until the sheet or the row limit ends."""

    def _get_size(self):
        pass


class _StreamingReader(ExcelReader):
    """openpyxl's reader in read-only mode, with worksheets that are read only as they are iterated."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


class XLSX(base_formats.XLSX):
    """Reads formulas as formulas (not their cached results), so the import can refuse them;
    streams the active sheet and stops at the row limit.

    A workbook is a zip of XML files, which deflate a thousandfold: the parts openpyxl reads
    whole before any row (shared strings, styles, the workbook) may unpack to at most
    XLSX_MAX_EXPANSION times the byte limit, checked from the zip's directory, whose sizes
    Python's zipfile enforces while unpacking. Sheets are streamed, so only their rows count.
    """

    def create_dataset(self, in_stream):
        stream = BytesIO(in_stream)
        _check_unpacked_size(stream)
        reader = _StreamingReader(stream, read_only=True, data_only=False)
        reader.read()
        book = reader.wb
        try:
            rows = book.active.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                return tablib.Dataset()
            width = len(header)
            # Cells beyond the header's columns are not data (the header check names unknown columns).
            return read_limited(itertools.chain([header], (row[:width] for row in rows)), width)
        finally:
            book.close()


XLSX_MAX_EXPANSION = 10


class TooLargeUnpacked(ValueError):
    pass


def _check_unpacked_size(stream) -> None:
    limit = settings.TRACKER_IMPORT_MAX_BYTES * XLSX_MAX_EXPANSION
    with zipfile.ZipFile(stream) as archive:
        unpacked = sum(i.file_size for i in archive.infolist() if not i.filename.startswith("xl/worksheets/"))
    stream.seek(0)
    if unpacked > limit:
        raise TooLargeUnpacked(
            f"The .xlsx file unpacks to {filesizeformat(unpacked)} besides its sheets' rows; at most "
            f"{filesizeformat(limit)} can be read. Copy the rows into the import template and upload that."
        )


FORMATS = [CSV, XLSX]


class LimitedImportForm(ImportForm):
    """The first step of an import, refusing files over TRACKER_IMPORT_MAX_BYTES before reading them."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.TRACKER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the largest file that can be imported is "
                f"{filesizeformat(limit)}. Split it into smaller files."
            )
        return upload


# --- the confirmation step -----------------------------------------------------
# Between the preview and the confirmation the upload waits in a file whose name the server
# chose (a random hex name, in a directory of its own). The confirm form carries no file name:
# only a token signed with SECRET_KEY (salted for this purpose, valid for a limited time) that
# binds the name to the user, the model, the format and a digest of the content. Confirming
# first claims the file by renaming it, so a token is good for one confirmation only.

CONFIRM_SALT = "recommendations.admin_import.confirm"
_STASH_NAME = re.compile(r"[0-9a-f]{32}")


def confirm_max_age() -> int:
    """Seconds a preview can be confirmed for (TRACKER_IMPORT_CONFIRM_MAX_AGE, default an hour)."""
    return getattr(settings, "TRACKER_IMPORT_CONFIRM_MAX_AGE", 3600)


def stash_dir() -> Path:
    """Where previewed uploads wait (TRACKER_IMPORT_TMP_DIR, default a folder in the system's temp)."""
    path = Path(getattr(settings, "TRACKER_IMPORT_TMP_DIR", None) or Path(tempfile.gettempdir()) / "tracker-import")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    """Forget uploads previewed and never confirmed, once their tokens have expired."""
    cutoff = time.time() - 2 * confirm_max_age()
    for entry in directory.iterdir():
        if _STASH_NAME.fullmatch(entry.name.removesuffix(".claimed")):
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
            except FileNotFoundError:
                pass


class _Stash:
    """A previewed upload, as the import view uses the library's temporary storage."""

    def __init__(self, name: str):
        self.name = name

    def read(self) -> bytes:
        return (stash_dir() / self.name).read_bytes()


class ConfirmRefused(Exception):
    """The confirmation cannot be acted on: nothing is read, written or deleted."""


class SignedConfirmForm(forms.Form):
    """The confirmation of a previewed import: one signed token, checked against the user."""

    token = forms.CharField(widget=forms.HiddenInput())

    def __init__(self, *args, user=None, model: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.model = user, model
        self.refusal = "This confirmation is incomplete."

    def clean(self):
        token = self.cleaned_data.get("token")
        if not token:
            raise forms.ValidationError(self.refusal)
        try:
            payload = signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_max_age())
        except signing.SignatureExpired:
            self.refusal = "This preview has expired. Upload the file again to import it."
            raise forms.ValidationError(self.refusal) from None
        except signing.BadSignature:
            self.refusal = "This confirmation was not issued by this site, or was changed after it was issued."
            raise forms.ValidationError(self.refusal) from None
        if (
            not isinstance(payload, dict)
            or payload.get("user") != self.user.pk
            or payload.get("model") != self.model
            or not _STASH_NAME.fullmatch(str(payload.get("file", "")))
        ):
            self.refusal = "This confirmation was issued to another user or for another import."
            raise forms.ValidationError(self.refusal)
        return {
            "token": token,
            "import_file_name": payload["file"],
            "sha256": payload["sha256"],
            "original_file_name": payload["name"],
            "format": payload["format"],
            "resource": payload["resource"],
        }


class TrackerImportExportMixin(ImportExportMixin):
    """Import and export for a model admin, with a downloadable template and clear errors."""

    formats = FORMATS
    import_form_class = LimitedImportForm
    import_template_name = "admin/recommendations/import.html"
    import_error_display = ("message",)

    def get_confirm_form_class(self, request):
        return SignedConfirmForm

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {
            **super().get_confirm_form_kwargs(request, import_form),
            "user": request.user,
            "model": self.opts.label_lower,
        }

    def write_to_tmp_storage(self, import_file, input_format):
        """Keep the upload under a name of the server's choosing until it is confirmed."""
        directory = stash_dir()
        _sweep(directory)
        digest = hashlib.sha256()
        name = uuid.uuid4().hex
        with open(directory / name, "xb") as out:
            for chunk in import_file.chunks():
                digest.update(chunk)
                out.write(chunk)
        import_file.tmp_storage_digest = digest.hexdigest()
        return _Stash(name)

    def get_confirm_form_initial(self, request, import_form):
        if import_form is None:
            return {}
        upload = import_form.cleaned_data["import_file"]
        payload = {
            "user": request.user.pk,
            "model": self.opts.label_lower,
            "file": upload.tmp_storage_name,
            "sha256": upload.tmp_storage_digest,
            "name": upload.name,
            "format": import_form.cleaned_data["format"],
            "resource": import_form.cleaned_data.get("resource", ""),
        }
        return {"token": signing.dumps(payload, salt=CONFIRM_SALT, compress=True)}

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """The confirmed import of the file the token names, claimed so it is imported once only."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return self._confirm_refused(request, form.refusal)
        stashed = stash_dir() / form.cleaned_data["import_file_name"]
        claimed = stashed.with_name(stashed.name + ".claimed")
        try:
            stashed.rename(claimed)  # atomic: of two confirmations of one preview, one wins
        except FileNotFoundError:
            return self._confirm_refused(request, "This import has already been confirmed, or its preview has expired.")
        try:
            data = claimed.read_bytes()
            if hashlib.sha256(data).hexdigest() != form.cleaned_data["sha256"]:
                return self._confirm_refused(request, "The previewed file has changed since its preview.")
            input_format = self.get_import_formats()[int(form.cleaned_data["format"])](encoding=self.from_encoding)
            try:
                dataset = input_format.create_dataset(data)
            except ValueError as e:  # the file read at the preview, so only a lowered limit can refuse it now
                return self._confirm_refused(request, self._read_fail_message(e))
            result = self.process_dataset(dataset, form, request, **kwargs)
        finally:
            claimed.unlink(missing_ok=True)
        return self.process_result(result, request)

    def _confirm_refused(self, request, reason: str):
        context = {
            **self.admin_site.each_context(request),
            "title": "This import cannot be confirmed",
            "opts": self.opts,
            "reason": reason,
            "import_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"),
        }
        return TemplateResponse(request, ["admin/recommendations/import_refused.html"], context, status=400)

    def get_urls(self):
        return [
            path(
                "import/template.<str:fmt>",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request, fmt):
        """The file to fill in: the header row, and in .xlsx a guide and the owners' names."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.get_import_resource_classes(request)[0]
        name = f"{self.opts.model_name}-import-template"
        if fmt == "csv":
            buffer = io.StringIO()
            csv.writer(buffer).writerow(resource.template_headers())
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        elif fmt == "xlsx":
            response = HttpResponse(_template_workbook(resource), content_type=XLSX.CONTENT_TYPE)
        else:
            raise PermissionDenied
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response

    def get_import_context_data(self, **kwargs):
        resource = self.get_import_resource_classes(None)[0]
        return {
            "column_guide": list(resource.columns.items()),
            "required_columns": resource.required,
            "recent_reports": Report.objects.order_by("-published", "title")[:8],
            "max_rows": settings.TRACKER_IMPORT_MAX_ROWS,
            "max_bytes": settings.TRACKER_IMPORT_MAX_BYTES,
            "template_urls": {
                fmt: reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template", args=[fmt])
                for fmt in ("csv", "xlsx")
            },
        }

    def process_dataset(self, dataset, form, request, **kwargs):
        """The confirmed import, in one transaction that is rolled back if any row fails
        (for instance because an owner was renamed between the preview and the confirmation)."""
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        rejected = result.has_errors() or result.has_validation_errors()
        import_run_record(model=self.opts.model_name, imported=not rejected)
        if rejected:
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": "Import",
                "opts": self.opts,
                "result": result,
                "form": self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
            }
            return TemplateResponse(request, [self.import_template_name], context, status=400)
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", self._read_fail_message(e))

    @staticmethod
    def _read_fail_message(e) -> str:
        if isinstance(e, TooManyRows | TooLargeUnpacked):
            return str(e)
        if isinstance(e, UnicodeDecodeError):
            return (
                "The file is not UTF-8 text, so its accents and symbols cannot be read safely. "
                "In Excel, save it as “CSV UTF-8”, or upload the .xlsx file instead."
            )
        return (
            "The file could not be read as the format chosen. Check that a .csv file is chosen as CSV "
            "and a .xlsx file as XLSX, and that the file is not damaged."
        )


def _template_workbook(resource) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Import"
    sheet.append(resource.template_headers())
    guide = book.create_sheet("Guide")
    guide.append(["Column", "Required", "What to write"])
    for column, help_text in resource.columns.items():
        guide.append([column, "yes" if column in resource.required else "no", help_text])
    owners = book.create_sheet("Owners")
    owners.append(["Owner name (use in the owners and concerns columns)", "Former names"])
    for owner in Owner.objects.order_by("name"):
        owners.append([owner.name, "; ".join(owner.former_name_list)])
    reports = book.create_sheet("Reports")
    reports.append(["Report slug (use in the report column)", "Title", "Published"])
    for report in Report.objects.order_by("-published", "title"):
        reports.append([report.slug, report.title, report.published_display])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
