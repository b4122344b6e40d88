"""The admin side of bulk import: file formats, upload limits, templates and messages.

django-import-export does the dry run, the preview and the transaction; this
module makes it strict (formulas visible, a size limit, only the import
permission) and says what went wrong in words an admin can act on.
"""

import csv
import io
from io import BytesIO

import openpyxl
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm

from recommendations.models import Owner
from reports.models import Report


class CSV(base_formats.CSV):
    pass


class XLSX(base_formats.XLSX):
    """Reads formulas as formulas (not their cached results), so the import can refuse them."""

    def create_dataset(self, in_stream):
        import tablib

        book = openpyxl.load_workbook(BytesIO(in_stream), read_only=True, data_only=False)
        sheet = book.active
        rows = sheet.iter_rows(values_only=True)
        dataset = tablib.Dataset()
        try:
            dataset.headers = list(next(rows))
        except StopIteration:
            return dataset
        width = len(dataset.headers)
        values = [list(row)[:width] + [None] * (width - len(row)) for row in rows]
        # Blank rows inside the data are kept, so row numbers match the spreadsheet's;
        # trailing ones (formatted but empty cells) are not data.
        while values and all(v in (None, "") for v in values[-1]):
            values.pop()
        for row in values:
            dataset.append(row)
        return dataset


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


class TrackerImportExportMixin(ImportExportMixin):
    """Import and export for a model admin, with a downloadable template and clear errors."""

    formats = FORMATS
    import_form_class = LimitedImportForm
    import_template_name = "admin/recommendations/import.html"
    import_error_display = ("message",)

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
        if result.has_errors() or result.has_validation_errors():
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
        if isinstance(e, UnicodeDecodeError):
            message = (
                "The file is not UTF-8 text, so its accents and symbols cannot be read safely. "
                "In Excel, save it as “CSV UTF-8”, or upload the .xlsx file instead."
            )
        else:
            message = (
                "The file could not be read as the format chosen. Check that a .csv file is chosen as CSV "
                "and a .xlsx file as XLSX, and that the file is not damaged."
            )
        form.add_error("import_file", message)


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
