"""Writes. One function per action, each atomic.

``progress_update_create`` is the only code that creates progress updates, and
the only code that writes a recommendation's current status.
"""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from recommendations import evidence_files
from recommendations.access import EVERYTHING, Scope
from recommendations.models import (
    Acceptance,
    AddresseeStatus,
    ClosureEvent,
    LinkKind,
    Owner,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    ResponseFile,
    Status,
    closure_state,
    response_flags,
    round_rating,
)
from tracker.audit import audit
from tracker.dates import DatePrecision, period_end, period_start


class NewerUpdates(Exception):
    """Raised instead of recording an update when the author had not seen an update that
    was recorded (and that they may see) after their form was opened."""


@transaction.atomic
def progress_update_create(
    *,
    recommendation: Recommendation,
    rag: int,
    summary: str,
    assessed_on: datetime.date,
    assessed_precision: str = DatePrecision.DAY,
    evidence: Sequence[dict] = (),
    part: str = "",
    published_in=None,
    concerns=None,
    corrects: ProgressUpdate | None = None,
    author=None,
    source_key: str | None = None,
    unless_newer_than: int | None = None,
    seen_by: Scope | None = None,
) -> ProgressUpdate:
    """Record an assessment and refresh the recommendation's current status.

    ``concerns`` names the one organisation a local response is about; such an update
    never sets the recommendation's own status (see _refresh_status).

    ``unless_newer_than``: the latest update id the author's form was opened on. When an
    update after it, that ``seen_by`` may see, exists, NewerUpdates is raised and nothing
    is written. The check runs under the row lock, so of forms opened on the same history
    only the first posted is saved unconfirmed.

    The recommendation row is locked first (SELECT ... FOR UPDATE on
    PostgreSQL), so concurrent updates to one recommendation serialise and the
    current status always ends as the latest by (date assessed, created, id),
    whatever order updates arrive in. Costs 5 queries (4 for the first update).
    """
    # of=("self",): lock the recommendation's row alone, not its report's (which would make
    # every update to a report's recommendations wait for each other on PostgreSQL).
    locked = Recommendation.objects.select_for_update(of=("self",)).select_related("report").get(pk=recommendation.pk)
    if unless_newer_than is not None:
        newer = ProgressUpdate.objects.filter(recommendation=locked, pk__gt=unless_newer_than)
        if (seen_by or EVERYTHING).updates(newer).exists():
            raise NewerUpdates
    update = ProgressUpdate(
        recommendation=locked,
        rag=Status(rag),
        summary=summary,
        assessed_on=assessed_on,
        assessed_precision=assessed_precision,
        evidence=list(evidence),
        part=part,
        published_in=published_in,
        concerns=concerns,
        corrects=corrects,
        author=author,
        source_key=source_key,
    )
    # The fields and clean(). superseded_on is ours to set below, never the caller's. The
    # model's check constraints restate its fields' choices (checked here, in Python) or
    # cannot fail for a new update (it cannot correct itself), and the database enforces
    # every one on insert: checking them here again cost a query and a savepoint around it
    # each, 9 of the 24 statements of a POST.
    update.full_clean(exclude=["superseded_on"], validate_constraints=False)
    update.save()
    _refresh_status(locked)
    # The audit log (who, what, when) records the update only once it is committed.
    transaction.on_commit(
        lambda: audit(
            "progress_update",
            user=author.get_username() if author else "",
            recommendation=locked.pk,
            update=update.pk,
            rag=update.rag_label,
            assessed=update.assessed_display,
        )
    )
    recommendation.status = locked.status
    recommendation.status_date = locked.status_date
    recommendation.status_date_precision = locked.status_date_precision
    recommendation.update_count = locked.update_count
    recommendation.first_assessed_on = locked.first_assessed_on
    return update


def _round_key(row) -> tuple | None:
    """Parts of one recommendation rated in the same publication on the same date are one
    round (2018 rated 2016 #1 in two parts); an update without a part is a round alone.
    Rows are (id, assessed_on, precision, rag, superseded_on, concerns_id, published_in_id, part)."""
    if not row[7] or row[6] is None:
        return None
    return (row[5], row[1], row[6])


def _successors(history: list[tuple]) -> list:
    """Each update's superseded_on: the date assessed of its successor in its own stream
    (the national assessments, or those concerning one organisation), None for the last of
    its stream. In a round of parts, only the worst part stands for the round (it takes the
    round's successor); the others are superseded on their own date, so "as at" counts meet
    the round once, with its rating."""
    following: list = [None] * len(history)
    last_in_stream: dict = {}
    for index in range(len(history) - 1, -1, -1):
        stream = history[index][5]
        following[index] = last_in_stream.get(stream)
        last_in_stream[stream] = history[index][1]
    rounds: dict = {}
    for index, row in enumerate(history):
        key = _round_key(row)
        if key is not None:
            rounds.setdefault(key, []).append(index)
    for indexes in rounds.values():
        if len(indexes) < 2:
            continue
        after = following[indexes[-1]]
        worst = round_rating([history[i][3] for i in indexes])
        standing = max(i for i in indexes if history[i][3] == worst)
        for i in indexes:
            following[i] = after if i == standing else history[i][1]
    return following


def latest_round(rows: list[tuple]) -> tuple:
    """(rating, date, precision) of the last round of a stream's rows, in order."""
    last = rows[-1]
    key = _round_key(last)
    parts = [row for row in rows if key is not None and _round_key(row) == key] or [last]
    return round_rating([row[3] for row in parts]), last[1], last[2]


def _refresh_status(recommendation: Recommendation) -> None:
    """Derive the current status, and each update's superseded_on, from the history; the
    caller holds the row lock. 2 or 3 queries however long the history: its dates and
    ratings in order, the updates whose successor changed (usually the previous latest
    alone; more when an update is back-dated), and the recommendation.

    The recommendation's own status, date, first assessment and update count come from the
    national assessments alone (those that concern no single organisation): a local
    response concerning one organisation is that organisation's, never everyone's (#17).
    superseded_on chains each stream separately, so "as at" counts read national
    assessments in force without meeting a local response."""
    history = list(
        ProgressUpdate.objects.filter(recommendation=recommendation)
        .order_by("assessed_on", "created", "id")
        .values_list(*_HISTORY_FIELDS)
    )
    changed = [
        ProgressUpdate(id=row[0], superseded_on=following)
        for row, following in zip(history, _successors(history), strict=True)
        if row[4] != following
    ]
    if changed:
        ProgressUpdate.objects.bulk_update(changed, ["superseded_on"])
    national = [row for row in history if row[5] is None]
    if national:
        rag, assessed_on, precision = latest_round(national)
        recommendation.status = rag
        recommendation.status_date = assessed_on
        recommendation.status_date_precision = precision
        recommendation.first_assessed_on = national[0][1]
    else:
        recommendation.status = Status.NEVER_ASSESSED
        recommendation.status_date = None
        recommendation.status_date_precision = DatePrecision.DAY
        recommendation.first_assessed_on = None
    recommendation.update_count = len(national)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status=recommendation.status,
        status_date=recommendation.status_date,
        status_date_precision=recommendation.status_date_precision,
        first_assessed_on=recommendation.first_assessed_on,
        update_count=recommendation.update_count,
    )
    _refresh_addressees(recommendation, history)


_HISTORY_FIELDS = (
    "id",
    "assessed_on",
    "assessed_precision",
    "rag",
    "superseded_on",
    "concerns_id",
    "published_in_id",
    "part",
)


def _refresh_addressees(recommendation: Recommendation, history: list[tuple] | None = None) -> None:
    """Both voices per organisation (AddresseeStatus): the latest round of assessments
    concerning it, its latest response, and their flags. Lazily: a row only for the
    organisations an assessment or a response concerns. 1 query when none does (most
    recommendations), 2 otherwise (3 without ``history``); the caller holds the row lock."""
    if history is None:
        history = list(
            ProgressUpdate.objects.filter(recommendation=recommendation)
            .order_by("assessed_on", "created", "id")
            .values_list(*_HISTORY_FIELDS)
        )
    streams: dict[int, list[tuple]] = {}
    for row in history:
        if row[5] is not None:
            streams.setdefault(row[5], []).append(row)
    responses = {
        organisation_id: (pk, progress, responded_on)
        for pk, organisation_id, progress, responded_on in Response.objects.filter(recommendation=recommendation)
        .order_by("responded_on", "created", "id")
        .values_list("id", "organisation_id", "progress", "responded_on")
    }
    if not streams and not responses:
        return
    rows = []
    for organisation_id in sorted(set(streams) | set(responses)):
        row = AddresseeStatus(recommendation_id=recommendation.pk, organisation_id=organisation_id)
        if organisation_id in streams:
            row.status, row.status_date, row.status_date_precision = latest_round(streams[organisation_id])
            rating, rated_on = row.status, row.status_date
        else:
            rating, rated_on = recommendation.status, recommendation.status_date
        if organisation_id in responses:
            row.response_id, row.progress, row.responded_on = responses[organisation_id]
            row.disagrees, row.awaiting_assessment = response_flags(
                progress=row.progress,
                responded_on=row.responded_on,
                status=rating,
                status_date=rated_on,
                stale_months=settings.TRACKER_STALE_MONTHS,
            )
        rows.append(row)
    AddresseeStatus.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["recommendation", "organisation"],
        update_fields=[
            "status",
            "status_date",
            "status_date_precision",
            "response",
            "progress",
            "responded_on",
            "disagrees",
            "awaiting_assessment",
        ],
    )


@transaction.atomic
def recommendations_carry_forward(*, recommendations: Sequence[Recommendation], into) -> list[Recommendation]:
    """Carry recommendations forward into a later report: each becomes a new recommendation
    of ``into`` (same text, theme, owners and audit dimensions, numbered after the report's
    last) that links back to it. One already carried into ``into`` is left as it is.

    Raises ValidationError when ``into`` is not later than a recommendation's own report.
    Returns the new recommendations, in the order given.
    """
    too_early = [
        r
        for r in recommendations
        if r.report_id == into.pk
        or period_start(into.published, into.published_precision)
        <= period_end(r.report.published, r.report.published_precision)
    ]
    if too_early:
        raise ValidationError(
            f"{into} is not later than the report of {', '.join(str(r) for r in too_early)}: "
            "recommendations can only be carried forward into a later report."
        )
    already = set(
        Recommendation.carries_forward.through.objects.filter(
            from_recommendation__report=into, to_recommendation__in=recommendations
        ).values_list("to_recommendation_id", flat=True)
    )
    number = (Recommendation.objects.filter(report=into).aggregate(last=Max("number"))["last"] or 0) + 1
    created = []
    for earlier in recommendations:
        if earlier.pk in already:
            continue
        new = Recommendation(report=into, number=number, theme=earlier.theme, text=earlier.text)
        new.full_clean()
        new.save()
        new.owners.set(earlier.owners.all())
        new.audit_dimensions.set(earlier.audit_dimensions.all())
        new.carries_forward.add(earlier)
        recommendation_link_create(earlier=earlier, later=new, kind=LinkKind.REPEATS)
        created.append(new)
        number += 1
    return created


# --- A recommendation's life (#20) ------------------------------------------------------


@transaction.atomic
def closure_event_create(
    *,
    recommendation: Recommendation,
    action: str,
    effective_on: datetime.date,
    note: str,
    effective_precision: str = DatePrecision.DAY,
    reason: str = "",
    owner: Owner | None = None,
    superseded_by: Recommendation | None = None,
    superseded_by_report=None,
    superseded_by_title: str = "",
    source=None,
    evidence: Sequence[dict] = (),
    author=None,
    source_key: str | None = None,
) -> ClosureEvent:
    """Close a recommendation (for every addressee, or for ``owner`` alone) or reopen it, and
    refresh its denormalised closure (closed_reason, closed_on). The only writer of both.

    Under the recommendation's row lock: closing what is already closed, or reopening what
    is open, raises ValidationError and writes nothing (two auditors closing at once: the
    second is told). A recommendation superseded by a later one is also linked to it
    (RecommendationLink "supersedes"), so that it appears in the chain."""
    locked = Recommendation.objects.select_for_update(of=("self",)).select_related("report").get(pk=recommendation.pk)
    event = ClosureEvent(
        recommendation=locked,
        owner=owner,
        action=action,
        reason=reason if action == ClosureEvent.Action.CLOSE else "",
        effective_on=effective_on,
        effective_precision=effective_precision,
        note=note,
        superseded_by=superseded_by,
        superseded_by_report=superseded_by_report,
        superseded_by_title=superseded_by_title,
        source=source,
        evidence=list(evidence),
        author=author,
        source_key=source_key,
    )
    event.full_clean(validate_constraints=False)
    history = list(ClosureEvent.objects.filter(recommendation=locked).order_by("effective_on", "created", "id"))
    if history and (effective_on, event.created) < (history[-1].effective_on, history[-1].created):
        raise ValidationError({"effective_on": f"The last change was dated {history[-1].effective_on:%-d %B %Y}."})
    addressees = list(locked.owners.values_list("pk", flat=True))
    state, _, _ = closure_state(history, addressees)
    if owner is not None:
        current = [state.get(owner.pk)]
    else:
        current = list(state.values())
    closed = [e is not None and e.action == ClosureEvent.Action.CLOSE for e in current]
    if action == ClosureEvent.Action.CLOSE and all(closed):
        raise ValidationError("It is already closed" + (f" for {owner}." if owner else "."))
    if action == ClosureEvent.Action.REOPEN and not any(closed):
        raise ValidationError("It is not closed" + (f" for {owner}." if owner else "."))
    event.save()
    _, locked.closed_reason, locked.closed_on = closure_state([*history, event], addressees)
    Recommendation.objects.filter(pk=locked.pk).update(closed_reason=locked.closed_reason, closed_on=locked.closed_on)
    recommendation.closed_reason, recommendation.closed_on = locked.closed_reason, locked.closed_on
    if superseded_by is not None:
        recommendation_link_create(earlier=locked, later=superseded_by, kind=LinkKind.SUPERSEDES, author=author)
    transaction.on_commit(
        lambda: audit(
            "closure",
            user=author.get_username() if author else "",
            recommendation=locked.pk,
            action=event.action,
            reason=event.reason,
            owner=owner.pk if owner else "",
        )
    )
    return event


@transaction.atomic
def recommendation_link_create(
    *, earlier: Recommendation, later: Recommendation, kind: str, note: str = "", author=None, source_key=None
) -> RecommendationLink:
    """Link a later recommendation to an earlier one (repeats, follows up, supersedes); an
    existing link of that kind is returned as it is. Raises ValidationError when ``later``
    is not from a later publication."""
    existing = RecommendationLink.objects.filter(earlier=earlier, later=later, kind=kind).first()
    if existing is not None:
        return existing
    link = RecommendationLink(earlier=earlier, later=later, kind=kind, note=note, author=author, source_key=source_key)
    link.full_clean(validate_constraints=False)
    link.save()
    return link


@transaction.atomic
def acceptance_create(
    *,
    recommendation: Recommendation,
    owner: Owner,
    decision: str,
    responded_on: datetime.date,
    text: str,
    source=None,
    author=None,
) -> Acceptance:
    """Record an addressee's response (accepted, partly accepted, not accepted). Append-only:
    the addressee's latest by (date of response, created) is current; an earlier-dated
    response is kept as history. Under the recommendation's row lock, so two responses
    recorded at once leave exactly one current."""
    locked = Recommendation.objects.select_for_update(of=("self",)).get(pk=recommendation.pk)
    acceptance = Acceptance(
        recommendation=locked,
        owner=owner,
        decision=decision,
        responded_on=responded_on,
        text=text,
        source=source,
        author=author,
        is_current=False,
    )
    acceptance.full_clean(validate_constraints=False)
    current = Acceptance.objects.filter(recommendation=locked, owner=owner, is_current=True).first()
    if current is None or responded_on >= current.responded_on:
        if current is not None:
            Acceptance.objects.filter(pk=current.pk).update(is_current=False)
        acceptance.is_current = True
    acceptance.save()
    transaction.on_commit(
        lambda: audit(
            "acceptance",
            user=author.get_username() if author else "",
            recommendation=locked.pk,
            owner=owner.pk,
            decision=decision,
        )
    )
    return acceptance


@transaction.atomic
def response_create(
    *,
    recommendation: Recommendation,
    organisation,
    progress: str,
    text: str,
    responded_on: datetime.date,
    responded_precision: str = DatePrecision.DAY,
    evidence: Sequence[dict] = (),
    files: Sequence = (),
    published_in=None,
    author=None,
    source_key: str | None = None,
) -> Response:
    """Record an organisation's response to a recommendation addressed to it, with its
    evidence files (each checked by content: evidence_files.check). Append-only: an earlier
    response is superseded by this one, never changed. Raises ValidationError, writing
    nothing (no row, no stored file), when anything is wrong."""
    # The row lock serialises this with assessments and other responses to the recommendation.
    recommendation = Recommendation.objects.select_for_update(of=("self",)).get(pk=recommendation.pk)
    if (
        not Recommendation.objects.filter(pk=recommendation.pk)
        .addressed_to(Owner.objects.filter(pk=organisation.pk).ids_with_all_cpps())
        .exists()
    ):
        raise ValidationError(f"{recommendation} is not addressed to {organisation}.")
    kinds = [evidence_files.check(upload, max_bytes=settings.TRACKER_EVIDENCE_MAX_BYTES) for upload in files]
    response = Response(
        recommendation=recommendation,
        organisation=organisation,
        progress=progress,
        text=text,
        responded_on=responded_on,
        responded_precision=responded_precision,
        evidence=list(evidence),
        published_in=published_in,
        author=author,
        source_key=source_key,
    )
    response.full_clean(validate_constraints=False)
    response.save()
    stored: list[str] = []
    try:
        for upload, kind in zip(files, kinds, strict=True):
            record = ResponseFile(response=response, name=upload.name[:200], kind=kind.key, size=upload.size)
            record.file.save(upload.name, upload, save=False)  # named by _evidence_upload_to
            stored.append(record.file.name)
            record.save()
    except Exception:
        for name in stored:
            ResponseFile.file.field.storage.delete(name)
        raise
    _refresh_addressees(recommendation)
    transaction.on_commit(
        lambda: audit(
            "response",
            user=author.get_username() if author else "",
            recommendation=recommendation.pk,
            organisation=organisation.pk,
            response=response.pk,
            progress=response.progress,
            files=len(stored),
        )
    )
    return response
