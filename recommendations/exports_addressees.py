"""The per-addressee export: one row per recommendation and organisation, with both voices
(the organisation's latest response and the auditor's current rating for it), for exactly
the filtered, sorted recommendations of the table (``?_export=addressees-csv`` or
``addressees-json``). README.md, "Exports", documents the columns.

Rows are the recommendations' named addressees (an all-CPPs recommendation: each CPP that
responded or was rated on its own; the others follow the national status, given on the
recommendation's own row in the main export) and every organisation the viewer may see that
something concerns. Read in chunks of CHUNK recommendations, 3 queries a chunk: memory stays flat.
"""

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from recommendations.access import Scope
from recommendations.exports import CHUNK, _chunks, _filename, neutralise
from recommendations.models import AddresseeStatus, Progress, Recommendation, Status
from tracker.dates import iso_partial_date

FORMATS = ("addressees-csv", "addressees-json")
HEADERS = [
    "Report",
    "Number",
    "Organisation",
    "Response",
    "Response date",
    "Rating for the organisation",
    "Rating date",
    "Rating is",
    "Response and rating disagree",
    "Response awaiting assessment",
]
TEXT_COLUMNS = (0, 2)


def addressee_rows(queryset: QuerySet[Recommendation], *, scope: Scope) -> Iterator[list]:
    statuses = {s.value: s.label for s in Status}
    progress = dict(Progress.choices)
    recs = queryset.prefetch_related(None).values_list(
        "pk", "report__title", "number", "status", "status_date", "status_date_precision"
    )
    for chunk in _chunks(recs.iterator(chunk_size=CHUNK), CHUNK):
        ids = [row[0] for row in chunk]
        named: dict[int, list[str]] = {}
        link = Recommendation.owners.through.objects.filter(recommendation_id__in=ids, owner__all_cpps=False)
        for rec_id, name in link.values_list("recommendation_id", "owner__name").order_by("owner__name"):
            named.setdefault(rec_id, []).append(name)
        own: dict[int, dict[str, AddresseeStatus]] = {}
        rows = scope.responses(AddresseeStatus.objects.filter(recommendation_id__in=ids)).select_related("organisation")
        for row in rows.order_by("organisation__name"):
            own.setdefault(row.recommendation_id, {})[row.organisation.name] = row
        for rec_id, title, number, status, date, precision in chunk:
            for name in sorted(set(named.get(rec_id, [])) | set(own.get(rec_id, {}))):
                row = own.get(rec_id, {}).get(name)
                rated = row is not None and row.status is not None
                yield [
                    title,
                    number,
                    name,
                    progress.get(row.progress, "") if row else "",
                    row.responded_on.isoformat() if row and row.responded_on else "",
                    statuses[row.status if rated else status],
                    iso_partial_date(row.status_date, row.status_date_precision)
                    if rated
                    else iso_partial_date(date, precision),
                    "for this organisation" if rated else "national",
                    "yes" if row and row.disagrees else "no",
                    "yes" if row and row.awaiting_assessment else "no",
                ]


def _csv(rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    yield "\ufeff" + buffer.getvalue()
    for piece in _chunks(rows, 500):
        buffer.seek(0)
        buffer.truncate()
        for row in piece:
            writer.writerow([neutralise(v) if i in TEXT_COLUMNS else v for i, v in enumerate(row)])
        yield buffer.getvalue()


def _json(rows: Iterator[list]) -> Iterator[str]:
    keys = [h.lower().replace(" ", "_") for h in HEADERS]
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + "\n" + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False)
    yield "\n]\n"


def addressees_response(queryset: QuerySet[Recommendation], fmt: str, *, scope: Scope, stem: str):
    rows = addressee_rows(queryset, scope=scope)
    if fmt == "addressees-csv":
        response = StreamingHttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
        extension = "csv"
    else:
        response = StreamingHttpResponse(_json(rows), content_type="application/json")
        extension = "json"
    response["Content-Disposition"] = f'attachment; filename="{_filename(stem + "-by-organisation", extension)}"'
    return response


__all__ = ["FORMATS", "HEADERS", "addressee_rows", "addressees_response"]
