"""Evidence files: what a file is, read from its content (its first bytes and, for Office
files, the parts inside the zip), never from its name or the browser's word for it.

A file is accepted only when its content is one of the kinds below and its name's extension
is one that kind may carry: a script named report.pdf, or a PDF named photo.png, is refused.
"""

import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    kind.key: kind
    for kind in (
        Kind("pdf", "PDF", "application/pdf", ("pdf",)),
        Kind(
            "docx",
            "Word document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        Kind("xlsx", "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
        Kind("doc", "Word 97-2003 document", "application/msword", ("doc",)),
        Kind("xls", "Excel 97-2003 workbook", "application/vnd.ms-excel", ("xls",)),
        Kind("png", "PNG image", "image/png", ("png",)),
        Kind("jpg", "JPEG image", "image/jpeg", ("jpg", "jpeg")),
        Kind("gif", "GIF image", "image/gif", ("gif",)),
    )
}
ACCEPTED = "PDF, Word (.docx, .doc), Excel (.xlsx, .xls) or an image (.png, .jpg, .gif)"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls (and .msi ...)


def sniff(upload) -> str | None:
    """The kind of the file's content, or None when it is none of ours. Reads the first
    bytes, and for a zip its list of parts; leaves the file at its start."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = None
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpg"
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        kind = "gif"
    elif head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                kind = "docx"
            elif "xl/workbook.xml" in names:
                kind = "xlsx"
    elif head.startswith(_OLE):
        kind = "ole"  # a .doc or an .xls: the extension says which (both are the same container)
    upload.seek(0)
    return kind


def check(upload, *, max_bytes: int) -> Kind:
    """The file's kind, or ValidationError naming the file and why it is refused."""
    name = upload.name or "the file"
    if upload.size > max_bytes:
        raise ValidationError(
            f"{name} is {filesizeformat(upload.size)}: files can be at most {filesizeformat(max_bytes)}."
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    found = sniff(upload)
    if found == "ole" and extension in ("doc", "xls"):
        found = extension
    kind = KINDS.get(found or "")
    if kind is None:
        raise ValidationError(f"{name} is not a file we accept: attach a {ACCEPTED}.")
    if extension not in kind.extensions:
        raise ValidationError(
            f"{name} is not what its name says: its content is a {kind.label}. Rename it or attach the right file."
        )
    return kind
