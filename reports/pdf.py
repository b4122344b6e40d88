"""PDFs made on the server with WeasyPrint (the printable appendix)."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.templatetags.static import static
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class StaticFilesOnly(URLFetcher):
    """WeasyPrint's fetches: the app's own static files (stylesheets), read from disk.
    Nothing else is fetched: no network request leaves the server, whatever a page holds."""

    def fetch(self, url, headers=None):
        prefix = static("")
        path = url.split("://", 1)[-1]
        path = path[path.find("/") :] if "/" in path else ""
        if path.startswith(prefix):
            found = _static_file(path[len(prefix) :].split("?", 1)[0])
            if found:
                return super().fetch(found.as_uri(), headers)
        raise ValueError(f"Not fetched for a PDF: {url}")


def _static_file(name: str) -> Path | None:
    """A static file's path: collected (production's hashed names), else in the app's static/."""
    try:
        collected = Path(staticfiles_storage.path(name)).resolve()
    except (NotImplementedError, SuspiciousFileOperation):
        collected = None
    if collected and collected.is_file():
        return collected
    found = finders.find(name)
    return Path(found).resolve() if found else None


def appendix_pdf(html: str, *, base_url: str) -> bytes:
    """An A4 PDF of the appendix's HTML (page size, margins and page numbers are its CSS's)."""
    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesOnly()).write_pdf()
