"""Helpers for driving the admin's import as an admin would: upload, preview, confirm."""

import csv
import io

import openpyxl
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations.models import Owner, ProgressUpdate, Recommendation
from reports.models import Report

REC_HEADERS = ["report", "number", "theme", "text", "owners", "audit_dimensions", "carries_forward"]
UPDATE_HEADERS = [
    "report",
    "number",
    "assessed_on",
    "rag",
    "part",
    "summary",
    "evidence",
    "published_in",
    "concerns",
    "source_key",
]
FORMAT = {"csv": "0", "xlsx": "1"}
URL = {
    "recommendation": "/admin/recommendations/recommendation/",
    "progressupdate": "/admin/recommendations/progressupdate/",
    "recommendationlink": "/admin/recommendations/recommendationlink/",
    "response": "/admin/recommendations/response/",
}
LINK_HEADERS = ["later", "kind", "earlier", "note"]


def csv_bytes(rows, headers=REC_HEADERS, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if headers is not None:
        writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=REC_HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content: bytes, *, model="recommendation", fmt="csv", name=None):
    """The first step: the file goes in, the dry-run preview (or the errors) comes back."""
    name = name or f"import.{fmt}"
    return client.post(
        URL[model] + "import/",
        {"resource": "0", "format": FORMAT[fmt], "import_file": SimpleUploadedFile(name, content)},
    )


def confirm(client, preview, *, model="recommendation"):
    """The second step: confirm the previewed import."""
    form = preview.context["confirm_form"]
    return client.post(URL[model] + "process_import/", {k: form.initial[k] for k in form.initial})


def import_file(client, content: bytes, *, model="recommendation", fmt="csv"):
    preview = upload(client, content, model=model, fmt=fmt)
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is not None, page_errors(preview)
    return confirm(client, preview, model=model)


def page_errors(response) -> str:
    """The error messages of an import page, as text."""
    import re
    from html import unescape

    html = response.content.decode()
    start = html.find('id="import-errors"')
    part = html[start:] if start >= 0 else html
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    text = " ".join([part[:6000], *errors])
    return unescape(re.sub(r"<[^>]+>", " ", text))


def snapshot() -> dict:
    """Everything an import could touch, row by row."""
    through = Recommendation.owners.through
    return {
        "reports": list(Report.objects.order_by("pk").values_list()),
        "owners": list(Owner.objects.order_by("pk").values_list()),
        "recommendations": list(Recommendation.objects.order_by("pk").values_list()),
        "owner_links": list(through.objects.order_by("pk").values_list()),
        "dimension_links": list(Recommendation.audit_dimensions.through.objects.order_by("pk").values_list()),
        "carry_links": list(Recommendation.carries_forward.through.objects.order_by("pk").values_list()),
        "updates": list(ProgressUpdate.objects.order_by("pk").values_list()),
        "log": LogEntry.objects.count(),
    }
