"""PDFs made on the server with WeasyPrint (the printable appendix).

WeasyPrint is imported on first use: its import (Pango, fonts, CSS tables) takes
seconds, which no other page, and no worker's start, should wait for."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.templatetags.static import static


def _static_file(url: str) -> Path | None:
    """The file behind one of the app's static URLs: collected (production's hashed
    names), else in the app's static/; None for any other URL."""
    prefix = static("")
    path = url.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    if not path.startswith(prefix):
        return None
    name = path[len(prefix) :].split("?", 1)[0]
    try:
        collected = Path(staticfiles_storage.path(name)).resolve()
        if collected.is_file():
            return collected
    except NotImplementedError:  # a storage without local files
        pass
    except SuspiciousFileOperation:  # "../" out of the static files
        return None
    found = finders.find(name)
    return Path(found).resolve() if found else None


def appendix_pdf(html: str, *, base_url: str) -> bytes:
    """An A4 PDF of the appendix's HTML (page size, margins and page numbers are its CSS's).
    Only the app's own static files (its stylesheets) are fetched, read from disk: no
    network request leaves the server, whatever the page's text holds."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            found = _static_file(url)
            if found is None:
                raise ValueError(f"Not fetched for a PDF: {url}")
            return super().fetch(found.as_uri(), headers)

    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesOnly()).write_pdf()
