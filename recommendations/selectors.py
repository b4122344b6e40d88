"""Reads: querysets and aggregates over recommendations.

Views in ``reports`` reach recommendation data only through this module.
Every function that reads recommendations or updates takes the user's
``Scope`` (recommendations.access) and returns only what that user may see.
"""

import bisect
import calendar
import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, DateField, Exists, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from recommendations.access import Scope
from recommendations.models import (
    Acceptance,
    AcceptanceDecision,
    AddresseeStatus,
    ClosureEvent,
    ClosureReason,
    LinkKind,
    Owner,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    ResponseFile,
    Status,
    closure_state,
    round_rating,
)
from tracker.dates import DatePrecision, format_partial_date


def national_updates() -> QuerySet[ProgressUpdate]:
    """Assessments that concern no single organisation: the only ones that set a
    recommendation's own status, trend and movement. Every reader of status history
    starts here, so a local response can never become everyone's status (#17)."""
    return ProgressUpdate.objects.filter(concerns__isnull=True)


# The table's default order: newest report first, then the report's own order.
DEFAULT_ORDER = ("-report__published", "report__title", "number")


def status_counts_by_report(report_ids, *, scope: Scope) -> dict[int, dict[int, int]]:
    """{report_id: {status: count}} for the given reports, in one query."""
    rows = (
        scope.recommendations(Recommendation.objects.filter(report_id__in=list(report_ids)))
        .values("report_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[int, int]] = {}
    for row in rows:
        counts.setdefault(row["report_id"], {})[row["status"]] = row["n"]
    return counts


def recommendations_for_report(report, *, scope: Scope) -> QuerySet[Recommendation]:
    """The report's recommendations in order. 1 query when evaluated."""
    return scope.recommendations(Recommendation.objects.for_report(report)).order_by("number")


def recommendations_for_table(*, scope: Scope) -> QuerySet[Recommendation]:
    """The base queryset of the recommendations table: report joined, in the default
    order. The table fetches the owners of its page's rows itself, in one query
    (``RecommendationTable.load_page_owners``): a prefetch built a queryset per row."""
    return scope.recommendations(Recommendation.objects.select_related("report")).order_by(*DEFAULT_ORDER)


def recommendations_for_owner(owner: Owner, *, scope: Scope) -> QuerySet[Recommendation]:
    """Addressed to this owner; for a single CPP, also those addressed to all CPPs."""
    return recommendations_for_table(scope=scope).addressed_to_slugs([owner.slug])


def may_see_publication(report, *, scope: Scope) -> bool:
    """A local response belongs to its organisation: its page is open to auditors, admins and
    the officers it concerns (an update of it concerns their organisation, or a recommendation
    of it is addressed to them), and to no other officer. 0 queries, or 1-2 for a local response."""
    if scope.everything or report.kind != report.Kind.LOCAL_RESPONSE:
        return True
    theirs = scope.summaries(ProgressUpdate.objects.filter(published_in=report, concerns__isnull=False))
    return (
        theirs.exists()
        or scope.responses(Response.objects.filter(published_in=report)).exists()
        or scope.recommendations(Recommendation.objects.for_report(report)).exists()
    )


def recommendation(pk: int, *, scope: Scope) -> Recommendation:
    """One recommendation with its report, nothing more (recording an update needs no more). 1 query."""
    return scope.recommendations(Recommendation.objects.select_related("report")).get(pk=pk)


def recommendation_detail(pk: int, *, scope: Scope) -> Recommendation:
    """One recommendation with report, owners, dimensions, linked recommendations and
    history, each update annotated with the rating before it (``previous_rag``).
    7 queries, plus one per level of a carried-forward chain deeper than one."""
    rec = (
        scope.recommendations(Recommendation.objects.select_related("report"))
        .prefetch_related(
            "owners",
            "audit_dimensions",
            Prefetch(
                "updates",
                queryset=scope.updates(
                    ProgressUpdate.objects.select_related("published_in", "concerns", "author")
                ).order_by("-assessed_on", "-created", "-id"),
            ),
        )
        .get(pk=pk)
    )
    _mark_rounds(rec.updates.all())
    rec.local_responses = local_responses_of(rec.updates.all())
    rec.responses_seen = responses_of(rec, scope=scope)
    rec.addressees = addressees_of(rec, rec.responses_seen, scope=scope)
    rec.earlier = _chain(rec, "carries_forward", scope)
    rec.later = _chain(rec, "carried_forward_by", scope)
    return rec


def _mark_rounds(history) -> None:
    """Each update's ``round_rag``, ``previous_rag`` and, for the first shown of a round of
    parts (parts of the recommendation rated in one publication on one date), its
    ``round_parts`` (oldest first); the others get ``in_round`` and are shown with it. A
    round is rated the worst of its parts (Red < Amber < Green: models.round_rating) and
    compared with the previous round of the same voice (national, or one organisation's):
    never one part with another."""
    rounds: list[list] = []
    for update in reversed(history):  # oldest first
        key = (update.concerns_id, update.assessed_on, update.published_in_id) if update.part else None
        if key is not None and update.published_in_id and rounds and rounds[-1][0] == key:
            rounds[-1][1].append(update)
        else:
            rounds.append((key if update.published_in_id else None, [update]))
    previous: dict = {}
    for _, parts in rounds:
        rag = round_rating([u.rag for u in parts])
        leader = parts[-1]  # newest first on the page: the round shows where its newest part is
        for update in parts:
            update.round_rag = rag
            update.previous_rag = previous.get(update.concerns_id)
            update.in_round = len(parts) > 1 and update is not leader
        leader.round_parts = parts if len(parts) > 1 else []
        previous[leader.concerns_id] = rag


@dataclass
class Addressee:
    """One organisation's two voices on a recommendation, as its page shows them side by side."""

    organisation: Owner
    response: Response | None
    status: int  # the auditor's rating for it: its own, else the national one
    status_date: datetime.date | None
    status_precision: str
    own_rating: bool
    disagrees: bool = False
    awaiting_assessment: bool = False

    @property
    def status_display(self) -> str:
        return format_partial_date(self.status_date, self.status_precision)


def responses_of(rec: Recommendation, *, scope: Scope) -> list[Response]:
    """The organisations' responses to a recommendation that the viewer may see, newest
    first, with author, publication and files. 2 queries, however many."""
    return list(
        scope.responses(Response.objects.filter(recommendation=rec))
        .select_related("organisation", "author", "published_in")
        .prefetch_related("files")
        .order_by("-responded_on", "-created", "-id")
    )


def addressees_of(rec: Recommendation, responses: list[Response], *, scope: Scope) -> list[Addressee]:
    """Per organisation the viewer may see: its latest response beside the auditor's
    current rating for it. Auditors and admins see every named addressee and every
    organisation something concerns (a CPP of an all-CPPs recommendation only once it
    responded or was rated on its own); officers see their own organisations. 1 query
    (2 for an officer whose organisation nothing concerns yet), however many addressees."""
    statuses = {
        row.organisation_id: row
        for row in scope.responses(AddresseeStatus.objects.filter(recommendation=rec)).select_related("organisation")
    }
    latest: dict[int, Response] = {}
    for response in responses:
        latest.setdefault(response.organisation_id, response)
    owners = {o.pk: o for o in rec.owners.all() if not o.all_cpps}
    if scope.everything:
        wanted = set(owners) | set(statuses)
    else:
        addressed_to_all = any(o.all_cpps for o in rec.owners.all())
        wanted = {pk for pk in scope.organisation_ids if pk in owners or pk in statuses or addressed_to_all}
    known = {**owners, **{pk: row.organisation for pk, row in statuses.items()}}
    missing = wanted - set(known)
    if missing:
        # An officer's CPP on a recommendation to all CPPs that nothing concerns yet.
        known.update((o.pk, o) for o in Owner.objects.filter(pk__in=missing, kind=Owner.Kind.CPP))
    rows = []
    for pk in wanted & set(known):
        row = statuses.get(pk)
        own = row is not None and row.status is not None
        rows.append(
            Addressee(
                organisation=known[pk],
                response=latest.get(pk),
                status=row.status if own else rec.status,
                status_date=row.status_date if own else rec.status_date,
                status_precision=row.status_date_precision if own else rec.status_date_precision,
                own_rating=own,
                disagrees=bool(row and row.disagrees),
                awaiting_assessment=bool(row and row.awaiting_assessment),
            )
        )
    return sorted(rows, key=lambda a: a.organisation.name)


def local_responses_of(history) -> list[ProgressUpdate]:
    """The latest local response per organisation, by organisation name, from a history
    already filtered to what the viewer may see (newest first)."""
    latest: dict[int, ProgressUpdate] = {}
    for update in history:
        if update.concerns_id is not None and update.concerns_id not in latest:
            latest[update.concerns_id] = update
    return sorted(latest.values(), key=lambda update: update.concerns.name)


def _chain(rec: Recommendation, relation: str, scope: Scope, limit: int = 10) -> list[Recommendation]:
    """Recommendations linked through ``relation``, nearest first, following the chain."""
    found: list[Recommendation] = []
    seen = {rec.pk}
    frontier = [rec.pk]
    for _ in range(limit):
        step = list(
            scope.recommendations(Recommendation.objects.filter(**{f"{_reverse(relation)}__in": frontier}))
            .exclude(pk__in=seen)
            .select_related("report")
            .order_by("report__published", "number")
            .distinct()
        )
        if not step:
            break
        found.extend(step)
        seen.update(r.pk for r in step)
        frontier = [r.pk for r in step]
    return found


def _reverse(relation: str) -> str:
    return {"carries_forward": "carried_forward_by", "carried_forward_by": "carries_forward"}[relation]


def owner_status_counts(*, scope: Scope) -> dict[int, dict[int, int]]:
    """{owner_id: {status: count}} over recommendations addressed to each owner; a
    single CPP also counts those addressed to all CPPs. 2 queries."""
    link = Recommendation.owners.through.objects.all()
    if not scope.everything:
        link = link.filter(recommendation__in=scope.recommendations(Recommendation.objects.all()).values("pk"))
    rows = link.values("owner_id", "recommendation__status").annotate(n=Count("id")).order_by()
    counts: dict[int, dict[int, int]] = {}
    for row in rows:
        bucket = counts.setdefault(row["owner_id"], {})
        bucket[row["recommendation__status"]] = bucket.get(row["recommendation__status"], 0) + row["n"]
    owners = list(Owner.objects.only("id", "kind", "all_cpps"))
    everyone = next((o.pk for o in owners if o.all_cpps), None)
    if everyone in counts:
        for owner in owners:
            if owner.kind == Owner.Kind.CPP and not owner.all_cpps:
                bucket = counts.setdefault(owner.pk, {})
                for status, n in counts[everyone].items():
                    bucket[status] = bucket.get(status, 0) + n
    # Per addressee: where the auditor rated an organisation on its own, that rating in
    # place of the national one it was counted under.
    for organisation_id, national, own, n in _own_ratings(scope):
        bucket = counts.get(organisation_id)
        if bucket is not None and bucket.get(national, 0) >= n:
            bucket[national] -= n
            bucket[own] = bucket.get(own, 0) + n
    return counts


def _own_ratings(scope: Scope, **filters) -> list[tuple[int, int, int, int]]:
    """(organisation, national status, its own status, how many) over the recommendations the
    viewer may see where the auditor rated an organisation the viewer may see on its own. 1 query."""
    rows = scope.responses(AddresseeStatus.objects.filter(status__isnull=False, **filters))
    if not scope.everything:
        rows = rows.filter(recommendation__in=scope.recommendations(Recommendation.objects.all()).values("pk"))
    return list(
        rows.values_list("organisation_id", "recommendation__status", "status").annotate(n=Count("*")).order_by()
    )


def follow_up_counts(*, scope: Scope, report=None) -> dict[str, int]:
    """How many recommendations (of a report, or all) the viewer may see have a response,
    that they may see, flagged: {"disagree": n, "awaiting": n}. 1 query."""
    rows = scope.responses(AddresseeStatus.objects.filter(Q(disagrees=True) | Q(awaiting_assessment=True)))
    recs = scope.recommendations(Recommendation.objects.all())
    if report is not None:
        recs = recs.filter(report=report)
    if report is not None or not scope.everything:
        rows = rows.filter(recommendation__in=recs.values("pk"))
    found = rows.aggregate(
        disagree=Count("recommendation", filter=Q(disagrees=True), distinct=True),
        awaiting=Count("recommendation", filter=Q(awaiting_assessment=True), distinct=True),
    )
    return {"disagree": found["disagree"] or 0, "awaiting": found["awaiting"] or 0}


def for_organisation(queryset: QuerySet[Recommendation], organisation_ids) -> QuerySet[Recommendation]:
    """The queryset with ``addressee_status``: the status for this one organisation (its own
    rating where the auditor gave one, else the national status), as a LEFT JOIN, no
    subquery. With several organisations (or none), the national status."""
    ids = list(organisation_ids)
    if len(ids) != 1:
        return queryset.annotate(addressee_status=F("status"))
    return queryset.annotate(
        own=FilteredRelation("addressee_statuses", condition=Q(addressee_statuses__organisation_id=ids[0]))
    ).annotate(addressee_status=Coalesce(F("own__status"), F("status")), addressee_progress=F("own__progress"))


def addressee_status_summary(queryset: QuerySet[Recommendation]) -> list[dict]:
    """status_summary by ``addressee_status`` (for_organisation), counted in one query."""
    return status_summary(dict(queryset.order_by().values_list("addressee_status").annotate(n=Count("id"))))


def visible_status_summary(*, scope: Scope) -> list[dict]:
    """status_summary of every recommendation the user may see. 1 query."""
    return status_summary_of(scope.recommendations(Recommendation.objects.all()))


# --- The whole portfolio as at a date ----------------------------------------------------
#
# A recommendation counts from its report's publication, or from its first assessment if
# that is dated earlier (an assessment dated by month or year can carry an earlier day than
# its report's). Its status as at a date is its latest assessment dated on or before then
# (by date assessed, created, id), or "never assessed".


def status_counts_as_at(as_at: datetime.date, *, scope: Scope, report_ids=None) -> dict[int | None, dict[int, int]]:
    """{report id: {status: count}} as at ``as_at``, for the given reports, or for every
    report together under the key None. 3 queries: the national assessments in force on
    the day, by their superseded_on, and the recommendations not yet assessed, by their
    first_assessed_on, all read from indexes: 30-100 ms over a million updates, where
    reading every history to its latest by then took 50-160 ms (BENCHMARKS.md). A local
    response sets no one's status but its organisation's, so it is never counted here."""
    recs = scope.recommendations(Recommendation.objects.all())
    updates = national_updates().filter(assessed_on__lte=as_at)
    if not scope.everything:
        updates = updates.filter(recommendation__in=recs.values("pk"))
    if report_ids is not None:
        report_ids = list(report_ids)
        recs = recs.filter(report_id__in=report_ids)
        updates = updates.filter(recommendation__report_id__in=report_ids)
    group = "report_id" if report_ids is not None else None
    counts: dict[int | None, dict[int, int]] = {}

    def add(key, status, n):
        bucket = counts.setdefault(key, {})
        bucket[status] = bucket.get(status, 0) + n

    # Two queries, each an index range planned alone: "assessed by then and (current
    # or superseded after)" as one OR, the planner took for a third of the table and
    # read all of it (180 ms); as a UNION, it read all of it for the second half. COUNT(*),
    # not of the id, lets both read the index alone.
    fields = ["recommendation__report_id", "rag"] if group else ["rag"]
    for half in (updates.filter(superseded_on__isnull=True), updates.filter(superseded_on__gt=as_at)):
        for *key, rag, n in half.order_by().values_list(*fields).annotate(n=Count("*")):
            add(key[0] if group else None, rag, n)
    published = recs.filter(report__published__lte=as_at)
    not_yet = [published.filter(first_assessed_on__isnull=True), published.filter(first_assessed_on__gt=as_at)]
    not_yet = [part.order_by().values_list("report_id").annotate(n=Count("*")) for part in not_yet]
    for report_id, n in not_yet[0].union(not_yet[1], all=True):
        add(report_id if group else None, Status.NEVER_ASSESSED.value, n)
    return counts


def status_summary_of(queryset: QuerySet[Recommendation]) -> list[dict]:
    """status_summary of a queryset of recommendations, counted in one query."""
    return status_summary(dict(queryset.order_by().values_list("status").annotate(n=Count("id"))))


def status_summary(counts: dict[int, int]) -> list[dict]:
    """Counts for every status in severity order, with percentages of the total."""
    total = sum(counts.values())
    return [
        {
            "status": status,
            "count": counts.get(value, 0),
            "percent": round(100 * counts.get(value, 0) / total) if total else 0,
        }
        for status, value in _STATUSES
    ]


_STATUSES = [(status, status.value) for status in Status]
_BY_VALUE = {status.value: status for status in Status}


# --- Dashboards ------------------------------------------------------------------------
#
# A report's dashboard is computed from its whole progress history, fetched in
# one query: history is append-only, so the status of every recommendation as
# it stood on any date (by date assessed) is exact, and trend, movement and
# "as at" views need no per-date or per-row queries.

OwnerLink = Recommendation.owners.through
RATED = (Status.RED, Status.AMBER, Status.GREEN)
TREND_POINTS = 12


@dataclass
class Movement:
    """How recommendations moved between two assessment dates."""

    before: datetime.date
    after: datetime.date
    before_label: str
    after_label: str
    up: int = 0
    down: int = 0
    same: int = 0
    newly_rated: int = 0
    other: int = 0


@dataclass
class Dashboard:
    report: object
    as_at: datetime.date | None
    recommendations: list  # each with .status_as_at, .status_date_as_at, .status_precision_as_at
    summary: list
    by_owner: list
    by_theme: list
    trend: list
    movement: Movement | None
    stale: list
    stale_months: int
    stale_before: datetime.date
    latest_updates: list = field(default_factory=list)
    in_all: int = 0  # the report's recommendations in all, whoever they are addressed to
    # A recommendation's life (#20): open ones by status, closed ones by reason, how many
    # repeat an earlier recommendation, and the addressees' responses.
    open_summary: list = field(default_factory=list)
    open_total: int = 0
    closed: "Closures | None" = None
    repeats: int = 0
    acceptance: list = field(default_factory=list)
    follow_up: dict | None = None  # follow_up_counts, today's dashboard only


class _History:
    """Each recommendation's ratings in order of (date assessed, created, id): as_at() is a
    binary search of its dates (a trend asks for every recommendation at a dozen dates)."""

    def __init__(self, rows):
        self.by_rec: dict[int, tuple[list, list]] = {}  # id -> ([dates], [(status, date, precision)])
        precisions: dict[datetime.date, set] = {}
        last_round: dict[int, tuple] = {}
        for rec_id, assessed_on, precision, rag, published_in_id, part in rows:
            dates, entries = self.by_rec.setdefault(rec_id, ([], []))
            # Parts rated in one publication on one date are one round, rated the worst of its
            # parts (models.round_rating): never a change from one part to the next.
            key = (assessed_on, published_in_id) if part and published_in_id else None
            if key is not None and last_round.get(rec_id) == key:
                rag = round_rating([rag, entries[-1][0]])
                dates.pop()
                entries.pop()
            last_round[rec_id] = key
            dates.append(assessed_on)
            entries.append((_BY_VALUE[rag], assessed_on, precision))
            precisions.setdefault(assessed_on, set()).add(precision)
        self.dates = sorted(precisions)
        self.precisions = precisions

    def as_at(self, rec_id: int, when: datetime.date | None):
        """(status, date, precision) as it stood on ``when`` (None: latest)."""
        dates, entries = self.by_rec.get(rec_id, ((), ()))
        index = len(dates) if when is None else bisect.bisect_right(dates, when)
        return entries[index - 1] if index else _NEVER

    def precision_of(self, when: datetime.date) -> tuple[datetime.date, str]:
        """A date as the sources gave it: the finest precision any update on it has."""
        precisions = self.precisions.get(when, ())
        for precision in (DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR):
            if precision in precisions:
                return when, precision
        return when, DatePrecision.DAY


_NEVER = (Status.NEVER_ASSESSED, None, DatePrecision.DAY)


def _counts(statuses) -> dict[int, int]:
    counts: dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _breakdown(recs, key, own=None) -> list[dict]:
    groups: dict = {}
    for rec in recs:
        for group in key(rec):
            status = (own or {}).get((rec.pk, getattr(group, "pk", None)), rec.status_as_at)
            groups.setdefault(group, []).append(status)
    rows = [{"group": group, "summary": status_summary(_counts(s)), "total": len(s)} for group, s in groups.items()]
    return sorted(rows, key=lambda row: (-row["total"], str(row["group"])))


def _movement(history: _History, recs, dates) -> Movement | None:
    if len(dates) < 2:
        return None
    before, after = dates[-2], dates[-1]
    movement = Movement(
        before=before,
        after=after,
        before_label=format_partial_date(*history.precision_of(before)),
        after_label=format_partial_date(*history.precision_of(after)),
    )
    for rec in recs:
        old, new = history.as_at(rec.pk, before)[0], history.as_at(rec.pk, after)[0]
        if old == new:
            movement.same += 1
        elif old in RATED and new in RATED:
            # Lower numbers are more severe: Green (3) above Amber (2) above Red (1).
            if new > old:
                movement.up += 1
            else:
                movement.down += 1
        elif new in RATED:
            movement.newly_rated += 1
        else:
            movement.other += 1
    return movement


def report_dashboard(report, *, scope: Scope, as_at: datetime.date | None = None, stale_months: int = 24) -> Dashboard:
    """Everything on a report's dashboard, optionally as it stood on ``as_at``. 8 queries
    (11 as at a date: the closure events by then, their addressees and ratings), and one more
    for an officer: the report's recommendations in all, which their counts are "of"."""
    recs = list(recommendations_for_report(report, scope=scope))
    owners = owners_of([rec.pk for rec in recs])
    history = _History(
        scope.updates(national_updates().filter(recommendation__report=report))
        .order_by("assessed_on", "created", "id")
        .values_list("recommendation_id", "assessed_on", "assessed_precision", "rag", "published_in_id", "part")
    )
    for rec in recs:
        rec.status_as_at, rec.status_date_as_at, rec.status_precision_as_at = history.as_at(rec.pk, as_at)
        rec.status_date_as_at_display = format_partial_date(rec.status_date_as_at, rec.status_precision_as_at)

    dates = [d for d in history.dates if as_at is None or d <= as_at]
    trend_dates = dates[-TREND_POINTS:]
    trend = []
    if report.published < (trend_dates[0] if trend_dates else (as_at or timezone.localdate())):
        trend.append(
            {
                "date": report.published,
                "label": f"Published {report.published_display}",
                "summary": status_summary({Status.NEVER_ASSESSED: len(recs)}),
            }
        )
    for when in trend_dates:
        trend.append(
            {
                "date": when,
                "label": format_partial_date(*history.precision_of(when)),
                "summary": status_summary(_counts(history.as_at(rec.pk, when)[0] for rec in recs)),
            }
        )

    # Per addressee: an organisation the auditor rated on its own is counted by that rating.
    own = {
        (rec_id, org_id): _BY_VALUE[status]
        for rec_id, org_id, status in scope.responses(
            AddresseeStatus.objects.filter(recommendation__report=report, status__isnull=False)
        ).values_list("recommendation_id", "organisation_id", "status")
    }
    reference = as_at or timezone.localdate()
    stale_before = _months_before(reference, stale_months)
    # Never assessed counts as stale only once the report itself is older than the period:
    # a report published today is not "not assessed for more than 24 months".
    stale = [rec for rec in recs if (rec.status_date_as_at or report.published) < stale_before]

    latest = scope.updates(ProgressUpdate.objects.filter(recommendation__report=report))
    if as_at is not None:
        latest = latest.filter(assessed_on__lte=as_at)
    latest_updates = list(
        latest.select_related("recommendation", "published_in", "concerns").order_by("-assessed_on", "-created", "-id")[
            :10
        ]
    )
    closed = Closures()
    if as_at is None:
        closed_now = {rec.pk: rec.closed_reason for rec in recs if rec.closed_reason}
    else:
        history_of_closures = _ClosureHistory(scope=scope, report_ids=[report.pk], until=as_at)
        closed_then = _closed_as_at(history_of_closures.events, history_of_closures.addressees, as_at)
        closed_now = {pk: reason for pk, (reason, _) in closed_then.items()}
    for rec in recs:
        rec.closed_as_at = closed_now.get(rec.pk, "")
        if rec.closed_as_at:
            closed.add(rec.closed_as_at, rec.status_as_at.value)
    open_summary = status_summary(_counts(rec.status_as_at for rec in recs if not rec.closed_as_at))
    return Dashboard(
        open_summary=open_summary,
        open_total=len(recs) - closed.total,
        closed=closed,
        repeats=repeats_count(report, scope=scope),
        acceptance=acceptance_counts(scope=scope, report=report),
        report=report,
        as_at=as_at,
        recommendations=recs,
        summary=status_summary(_counts(rec.status_as_at for rec in recs)),
        by_owner=_breakdown(recs, lambda rec: owners.get(rec.pk, ()), own=own if as_at is None else {}),
        follow_up=follow_up_counts(scope=scope, report=report) if as_at is None else None,
        by_theme=_breakdown(recs, lambda rec: [rec.theme or "No theme given"]),
        trend=trend,
        movement=_movement(history, recs, dates),
        stale=stale,
        stale_months=stale_months,
        stale_before=stale_before,
        latest_updates=latest_updates,
        in_all=len(recs) if scope.everything else Recommendation.objects.for_report(report).count(),
    )


class OwnerRef(NamedTuple):
    """An owner as a table row or a breakdown shows it: a model instance cost 30 µs to make."""

    pk: int
    name: str
    slug: str

    def __str__(self) -> str:
        return self.name


def owners_of(recommendation_ids: list[int]) -> dict[int, list[OwnerRef]]:
    """{recommendation id: [its owners, by name]} in one query, each owner one ``OwnerRef``
    however many of the recommendations it shares: a prefetch built a queryset per
    recommendation. The table's rows and the dashboard's breakdown use it.

    Written as SQL: every table page and dashboard runs it, and the ORM spent 2 ms building
    and compiling it for a page of 25 rows, twenty times the query's own Python cost
    (BENCHMARKS.md, fifth round)."""
    if not recommendation_ids:
        return {}
    qn = connection.ops.quote_name
    sql = (
        f"SELECT link.recommendation_id, owner.id, owner.name, owner.slug "  # noqa: S608  # nosec - names from the models, values as parameters
        f"FROM {qn(OwnerLink._meta.db_table)} link INNER JOIN {qn(Owner._meta.db_table)} owner "
        f"ON owner.id = link.owner_id WHERE link.recommendation_id IN ({', '.join(['%s'] * len(recommendation_ids))}) "
        "ORDER BY owner.name, owner.id"
    )
    owners: dict[int, OwnerRef] = {}
    by_rec: dict[int, list[OwnerRef]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, list(recommendation_ids))
        for rec_id, owner_id, name, slug in cursor.fetchall():
            owner = owners.get(owner_id)
            if owner is None:
                owner = owners[owner_id] = OwnerRef(owner_id, name, slug)
            by_rec.setdefault(rec_id, []).append(owner)
    return by_rec


def _months_before(when: datetime.date, months: int) -> datetime.date:
    year, month = divmod(when.year * 12 + (when.month - 1) - months, 12)
    return datetime.date(year, month + 1, min(when.day, calendar.monthrange(year, month + 1)[1]))


def latest_updates(*, scope: Scope, limit: int = 10, as_at: datetime.date | None = None) -> list[ProgressUpdate]:
    """The most recent assessments across the portfolio (dated on or before ``as_at``). 1 query."""
    updates = ProgressUpdate.objects.all() if as_at is None else ProgressUpdate.objects.filter(assessed_on__lte=as_at)
    return list(
        scope.updates(updates)
        .select_related("recommendation__report", "published_in", "concerns")
        .order_by("-assessed_on", "-created", "-id")[:limit]
    )


@dataclass
class AppendixRow:
    """One row of the printable appendix: one or more recommendations sharing the same
    history, their one current rating (``status``: the latest national assessment by
    then, as everywhere else), the latest round's assessments (one per part when parts
    were rated separately) and the earlier ones, newest first, under "Previously"."""

    recommendations: list
    status: Status
    status_display: str
    current: list
    previously: list
    dimensions: str  # the published appendix's line: "governance and transparency and value for money"
    signature: tuple = ()


def dimension_line(dimensions) -> str:
    """Audit dimension names as the published appendix words them:
    "governance and transparency and value for money"."""
    return " and ".join(d.name[:1].lower() + d.name[1:] for d in dimensions)


def report_appendix(report, *, scope: Scope, as_at: datetime.date | None = None) -> list[AppendixRow]:
    """The published-appendix shape, as at ``as_at`` (None: today): a row per
    recommendation with its current rating, the round of assessment that set it (every
    national update on its latest date, e.g. one per part rated) and the earlier ones;
    consecutive recommendations with the same history and audit dimensions are grouped,
    as the published appendix groups closely related recommendations. 3 queries."""
    recs = list(recommendations_for_report(report, scope=scope).prefetch_related("audit_dimensions"))
    updates = scope.updates(national_updates().filter(recommendation__report=report)).select_related("published_in")
    if as_at is not None:
        updates = updates.filter(assessed_on__lte=as_at)
    history: dict[int, list[ProgressUpdate]] = {}
    for update in updates.order_by("recommendation_id", "assessed_on", "created", "id"):
        history.setdefault(update.recommendation_id, []).append(update)
    rows: list[AppendixRow] = []
    for rec in recs:
        ordered = history.get(rec.pk, [])  # oldest first; the last sets the status
        latest = ordered[-1] if ordered else None
        # The latest round: the deciding update and, on the same date, the other parts rated.
        current = [u for u in ordered if latest and u.assessed_on == latest.assessed_on and (u is latest or u.part)]
        previously = [u for u in reversed(ordered) if u not in current]
        dimensions = dimension_line(rec.audit_dimensions.all())
        signature = (dimensions, tuple((u.rag, u.part, u.summary, u.assessed_on) for u in ordered))
        if rows and ordered and rows[-1].signature == signature:
            rows[-1].recommendations.append(rec)
            continue
        rows.append(
            AppendixRow(
                recommendations=[rec],
                status=_BY_VALUE[latest.rag] if latest else Status.NEVER_ASSESSED,
                status_display=latest.assessed_display if latest else "",
                current=current,
                previously=previously,
                dimensions=dimensions,
                signature=signature,
            )
        )
    return rows


def recommendation_count(*, as_at: datetime.date | None = None) -> int:
    """Every recommendation, whoever it is addressed to (in the publications out by ``as_at``):
    what an officer's scoped totals are "of". 1 query."""
    recs = Recommendation.objects.all()
    if as_at is not None:
        recs = recs.filter(report__published__lte=as_at)
    return recs.count()


def published_in_counts(report_ids, *, scope: Scope) -> dict[int, int]:
    """{publication id: assessments and local responses it published that this viewer may
    see}, for a page of publications: a follow-up publication makes no recommendations of
    its own but publishes assessments of another report's. 1 query (none for no ids)."""
    report_ids = list(report_ids)
    if not report_ids:
        return {}
    rows = (
        scope.updates(ProgressUpdate.objects.filter(published_in_id__in=report_ids))
        .values("published_in_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["published_in_id"]: row["n"] for row in rows}


def published_in(report, *, scope: Scope) -> list[dict]:
    """What a publication published: the assessments and local responses that appeared in
    it and that this viewer may see, grouped by the report whose recommendations they
    assess, in recommendation order: [{"report", "updates"}]. 1 query."""
    updates = (
        scope.updates(ProgressUpdate.objects.filter(published_in=report))
        .select_related("recommendation__report", "concerns")
        .order_by("-recommendation__report__published", "recommendation__report_id", "recommendation__number", "id")
    )
    groups: dict[int, dict] = {}
    for update in updates:
        followed = update.recommendation.report
        groups.setdefault(followed.pk, {"report": followed, "updates": []})["updates"].append(update)
    return list(groups.values())


def appendix_coverage(report, *, scope: Scope) -> dict | None:
    """Whose recommendations an officer's appendix holds, for its heading: their
    organisations' names, whether it includes those addressed to all CPPs, and how many of
    the report's recommendations there are in all. None for a viewer who sees them all. 2 queries."""
    if scope.everything:
        return None
    names = list(Owner.objects.filter(pk__in=scope.organisation_ids).order_by("name").values_list("name", flat=True))
    return {
        "organisations": names,
        "all_cpps": bool(scope.owner_ids - scope.organisation_ids),
        "in_all": Recommendation.objects.for_report(report).count(),
    }


# --- A recommendation's life: closure, links, acceptance (#20) ---------------------------
#
# A recommendation is open until it is closed for every addressee (ClosureEvent); closed,
# it leaves the open counts from the date of its closure ("as at" a date before then
# counts it open). Its RAG status is kept: a closed recommendation still shows what the
# auditor last found.

REASONS = list(ClosureReason)
ACCEPTANCE_DECISIONS = list(AcceptanceDecision)


@dataclass
class Closures:
    """Closed recommendations: how many for each reason, and their statuses (to take them
    out of the open counts)."""

    reasons: dict = field(default_factory=dict)  # {reason value: count}
    statuses: dict = field(default_factory=dict)  # {status value: count}

    def add(self, reason: str, status: int, n: int = 1) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + n
        self.statuses[status] = self.statuses.get(status, 0) + n

    @property
    def total(self) -> int:
        return sum(self.reasons.values())

    @property
    def by_reason(self) -> list[dict]:
        return [{"reason": reason, "count": self.reasons.get(reason.value, 0)} for reason in REASONS]


def open_counts(counts: dict[int, int], closures: "Closures | None") -> dict[int, int]:
    """Status counts with the closed recommendations taken out."""
    if closures is None:
        return dict(counts)
    return {status: n - closures.statuses.get(status, 0) for status, n in counts.items()}


def closures_now(*, scope: Scope, report_ids=None) -> dict[int | None, Closures]:
    """{report id (or None for all together): Closures} of the recommendations closed
    today. 1 query (the closure is kept on the recommendation)."""
    recs = scope.recommendations(Recommendation.objects.exclude(closed_reason=""))
    if report_ids is not None:
        recs = recs.filter(report_id__in=list(report_ids))
    out: dict[int | None, Closures] = {}
    rows = recs.order_by().values_list("report_id", "closed_reason", "status").annotate(n=Count("*"))
    for report_id, reason, status, n in rows:
        out.setdefault(report_id if report_ids is not None else None, Closures()).add(reason, status, n)
    return out


def _closed_as_at(events, addressees: dict[int, list[int]], when: datetime.date) -> dict[int, tuple[str, object]]:
    """{recommendation id: (reason, date)} of those closed for every addressee on ``when``,
    from closure events in order (recommendation, date, created, id)."""
    closed: dict[int, tuple[str, object]] = {}
    by_rec: dict[int, list] = {}
    for event in events:
        if event.effective_on <= when:
            by_rec.setdefault(event.recommendation_id, []).append(event)
    for rec_id, history in by_rec.items():
        _, reason, on = closure_state(history, addressees.get(rec_id, []))
        if reason:
            closed[rec_id] = (reason, on)
    return closed


class _ClosureHistory:
    """Every closure event (of what the viewer may see, of some reports), the addressees of
    the recommendations they concern, and those recommendations' national ratings: enough to
    say which were closed, and with what status, on any date. 3 queries."""

    def __init__(self, *, scope: Scope, report_ids=None, until: datetime.date | None = None):
        events = ClosureEvent.objects.all()
        if until is not None:
            events = events.filter(effective_on__lte=until)
        if not scope.everything:
            events = events.filter(recommendation__in=scope.recommendations(Recommendation.objects.all()).values("pk"))
        if report_ids is not None:
            events = events.filter(recommendation__report_id__in=list(report_ids))
        self.events = list(
            events.order_by("recommendation_id", "effective_on", "created", "id").only(
                "id", "recommendation_id", "owner_id", "action", "reason", "effective_on", "created"
            )
        )
        rec_ids = {event.recommendation_id for event in self.events}
        self.addressees: dict[int, list[int]] = {}
        self.report_of: dict[int, int] = {}
        self.history = _History([])
        if not rec_ids:
            return
        concerned = events.values("recommendation_id")
        for rec_id, owner_id in OwnerLink.objects.filter(recommendation_id__in=concerned).values_list(
            "recommendation_id", "owner_id"
        ):
            self.addressees.setdefault(rec_id, []).append(owner_id)
        self.history = _History(
            national_updates()
            .filter(recommendation_id__in=concerned)
            .order_by("assessed_on", "created", "id")
            .values_list("recommendation_id", "assessed_on", "assessed_precision", "rag", "published_in_id", "part")
        )
        self.report_of = dict(Recommendation.objects.filter(pk__in=concerned).values_list("pk", "report_id"))

    def as_at(self, when: datetime.date, *, by_report: bool = False) -> dict[int | None, Closures]:
        out: dict[int | None, Closures] = {}
        for rec_id, (reason, _) in _closed_as_at(self.events, self.addressees, when).items():
            key = self.report_of.get(rec_id) if by_report else None
            out.setdefault(key, Closures()).add(reason, self.history.as_at(rec_id, when)[0].value)
        return out


def closures_as_at(as_at: datetime.date, *, scope: Scope, report_ids=None) -> dict[int | None, Closures]:
    """closures_now as they stood on ``as_at``, from the closure events dated by then. 4 queries."""
    report_ids = list(report_ids) if report_ids is not None else None
    history = _ClosureHistory(scope=scope, report_ids=report_ids, until=as_at)
    return history.as_at(as_at, by_report=report_ids is not None)


def implementation_over_time(*, scope: Scope, as_at: datetime.date | None = None, points: int = TREND_POINTS):
    """The portfolio at each national assessment date (the latest ``points`` of them, on or
    before ``as_at``; ``as_at`` itself last when given): the open recommendations by status,
    with each status's share of the open ones, and the closed ones by reason.

    Open on a date: published by then and not closed for every addressee by then. Status
    on a date: the latest national assessment dated on or before it, else never assessed.
    4 queries, plus 3 per date (status_counts_as_at)."""
    dates = national_updates()
    if as_at is not None:
        dates = dates.filter(assessed_on__lte=as_at)
    precisions: dict[datetime.date, str] = {}
    # "day" < "month" < "year": the first seen of a date is its finest precision.
    for when, precision in (
        dates.order_by("assessed_on", "assessed_precision").values_list("assessed_on", "assessed_precision").distinct()
    ):
        precisions.setdefault(when, precision)
    when_list = sorted(precisions)[-points:]
    if as_at is not None and (not when_list or when_list[-1] != as_at):
        when_list = [*when_list[-(points - 1) :], as_at] if points > 1 else [as_at]
    if not when_list:
        return []
    closures = _ClosureHistory(scope=scope, until=when_list[-1])
    by_date = status_counts_on_dates(when_list, scope=scope)
    rows = []
    for when in when_list:
        counts = by_date.get(when, {})
        closed = closures.as_at(when).get(None, Closures())
        rows.append(
            {
                "date": when,
                "label": format_partial_date(when, precisions.get(when, DatePrecision.DAY)),
                "summary": status_summary(open_counts(counts, closed)),
                "open": sum(counts.values()) - closed.total,
                "closed": closed,
            }
        )
    return rows


def repeats_count(report, *, scope: Scope) -> int:
    """How many of the report's (visible) recommendations repeat an earlier one. 1 query."""
    return (
        scope.recommendations(Recommendation.objects.for_report(report))
        .filter(Exists(RecommendationLink.objects.filter(later=OuterRef("pk"), kind=LinkKind.REPEATS)))
        .count()
    )


def visible_links(*, scope: Scope) -> QuerySet[RecommendationLink]:
    """Links whose two ends the viewer may both see."""
    links = RecommendationLink.objects.all()
    if scope.everything:
        return links
    visible = scope.recommendations(Recommendation.objects.all()).values("pk")
    return links.filter(earlier__in=visible, later__in=visible)


@dataclass
class Chain:
    """Recommendations joined by links, oldest first, each with the links to its earlier ones."""

    recommendations: list
    links: int


CHAINS_PER_PAGE = 25


def link_chains(*, scope: Scope, kinds=None, page: int = 1, per_page: int = CHAINS_PER_PAGE):
    """Chains of linked recommendations (the connected groups of links), oldest chain first,
    a page at a time: (chains of the page, number of chains). 3 queries however long a chain
    is: the links, the order of their recommendations, and the page's recommendations."""
    links = visible_links(scope=scope)
    if kinds:
        links = links.filter(kind__in=kinds)
    rows = list(links.order_by().values_list("earlier_id", "later_id", "kind"))
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for earlier, later, _ in rows:
        parent[root(earlier)] = root(later)
    members: dict[int, list[int]] = {}
    for node in list(parent):
        members.setdefault(root(node), []).append(node)
    if not members:
        return [], 0
    order = {
        pk: (published, title, number, pk)
        for pk, published, title, number in Recommendation.objects.filter(pk__in=list(parent)).values_list(
            "pk", "report__published", "report__title", "number"
        )
    }
    chains = sorted((sorted(ids, key=order.__getitem__) for ids in members.values()), key=lambda c: order[c[0]])
    page_chains = chains[(page - 1) * per_page : page * per_page]
    wanted = [pk for chain in page_chains for pk in chain]
    recs = Recommendation.objects.select_related("report").in_bulk(wanted)
    earlier_of: dict[int, list] = {}
    for earlier, later, kind in rows:
        if later in recs and earlier in recs:
            earlier_of.setdefault(later, []).append({"kind": LinkKind(kind), "earlier": recs[earlier]})
    result = []
    for chain in page_chains:
        items = []
        for pk in chain:
            rec = recs[pk]
            rec.links_to_earlier_list = sorted(earlier_of.get(pk, []), key=lambda link: order[link["earlier"].pk])
            items.append(rec)
        result.append(Chain(recommendations=items, links=sum(len(r.links_to_earlier_list) for r in items)))
    return result, len(chains)


def acceptances_visible(*, scope: Scope) -> QuerySet[Acceptance]:
    """Acceptances the viewer may see: all for auditors and admins; for an officer, their own
    organisations' responses on what is addressed to them (another body's is its own)."""
    acceptances = Acceptance.objects.all()
    if scope.everything:
        return acceptances
    visible = scope.recommendations(Recommendation.objects.all()).values("pk")
    return acceptances.filter(recommendation__in=visible, owner__in=scope.organisation_ids)


def acceptance_counts(*, scope: Scope, report=None) -> list[dict]:
    """Each addressee's current response counted by decision, and the addressees of visible
    recommendations with none yet. 2 queries."""
    current = acceptances_visible(scope=scope).filter(is_current=True)
    recs = scope.recommendations(Recommendation.objects.all())
    if report is not None:
        current = current.filter(recommendation__report=report)
        recs = recs.filter(report=report)
    counts = dict(current.order_by().values_list("decision").annotate(n=Count("*")))
    addressees = OwnerLink.objects.filter(recommendation__in=recs.values("pk"))
    if not scope.everything:
        addressees = addressees.filter(owner_id__in=scope.organisation_ids)
    responded = sum(counts.values())
    return [
        *(
            {"label": decision.label, "slug": decision.slug, "count": counts.get(decision.value, 0)}
            for decision in ACCEPTANCE_DECISIONS
        ),
        {"label": "No response recorded", "slug": "none", "count": max(0, addressees.count() - responded)},
    ]


def lifecycle_of(rec: Recommendation, *, scope: Scope) -> dict:
    """What the recommendation page shows of its life: closure events (newest first) and who
    it is closed for; links to earlier and later recommendations; acceptances by addressee
    (current first), those the viewer may see. 3 queries (owners prefetched)."""
    events = list(
        ClosureEvent.objects.filter(recommendation=rec)
        .select_related("owner", "author", "superseded_by__report", "superseded_by_report", "source")
        .order_by("effective_on", "created", "id")
    )
    owners = list(rec.owners.all())
    state, reason, closed_on = closure_state(events, [o.pk for o in owners])
    addressee_state = [{"owner": o, "event": state.get(o.pk)} for o in owners]
    links = list(
        visible_links(scope=scope)
        .filter(Q(later=rec) | Q(earlier=rec))
        .select_related("earlier__report", "later__report")
        .order_by("earlier__report__published", "earlier__number", "later__report__published", "later__number")
    )
    earlier = [link for link in links if link.later_id == rec.pk]
    later = [link for link in links if link.earlier_id == rec.pk]
    acceptances = list(
        acceptances_visible(scope=scope)
        .filter(recommendation=rec)
        .select_related("owner", "author", "source")
        .order_by("owner__name", "-is_current", "-responded_on", "-created")
    )
    closes = [e for e in state.values() if e is not None and e.action == "close"]
    closing = max(closes, key=lambda e: (e.effective_on, e.created, e.pk)) if reason and closes else None
    return {
        "closing": closing,
        "events": list(reversed(events)),
        "addressee_state": addressee_state,
        "partly_closed": not reason and any(e is not None and e.action == "close" for e in state.values()),
        "earlier_links": earlier,
        "later_links": later,
        "acceptances": acceptances,
    }


def status_counts_on_dates(dates, *, scope: Scope) -> dict[datetime.date, dict[int, int]]:
    """{date: {status: count}} of every visible recommendation on each of ``dates``, as
    status_counts_as_at counts one date, in 2 queries however many dates: the per-date
    index ranges of status_counts_as_at joined by UNION ALL, each labelled with its date."""
    dates = list(dates)
    if not dates:
        return {}
    recs = scope.recommendations(Recommendation.objects.all())
    updates = national_updates()
    if not scope.everything:
        updates = updates.filter(recommendation__in=recs.values("pk"))
    counts: dict[datetime.date, dict[int, int]] = {}

    def add(day, status, n):
        if isinstance(day, str):  # SQLite returns a constant date as text
            day = datetime.date.fromisoformat(day)
        bucket = counts.setdefault(day, {})
        bucket[status] = bucket.get(status, 0) + n

    def labelled(queryset, day, *fields):
        return (
            queryset.order_by()
            .annotate(day=Value(day, output_field=DateField()))
            .values("day", *fields)
            .annotate(n=Count("*"))
            .values_list("day", *fields, "n")
        )

    parts = []
    for day in dates:
        in_force = updates.filter(assessed_on__lte=day)
        parts.append(labelled(in_force.filter(superseded_on__isnull=True), day, "rag"))
        parts.append(labelled(in_force.filter(superseded_on__gt=day), day, "rag"))
    for day, rag, n in parts[0].union(*parts[1:], all=True):
        add(day, rag, n)
    parts = []
    for day in dates:
        published = recs.filter(report__published__lte=day)
        parts.append(labelled(published.filter(first_assessed_on__isnull=True), day))
        parts.append(labelled(published.filter(first_assessed_on__gt=day), day))
    for day, n in parts[0].union(*parts[1:], all=True):
        add(day, Status.NEVER_ASSESSED.value, n)
    return counts


def evidence_file(file_id: int, *, scope: Scope) -> ResponseFile:
    """An evidence file, if the viewer may see its response (its organisation's officers,
    auditors, admins) and the recommendation; else ResponseFile.DoesNotExist. 1 query."""
    visible = scope.responses(
        Response.objects.filter(recommendation__in=scope.recommendations(Recommendation.objects.all()).values("pk"))
    )
    return ResponseFile.objects.get(pk=file_id, response__in=visible.values("pk"))


def organisations_responding(rec: Recommendation, user, *, scope: Scope) -> list[Owner]:
    """The user's own organisations that the recommendation is addressed to: those they may
    record a response for. 1 query (none for a user with no organisation)."""
    if not scope.organisation_ids:
        return []
    return list(Owner.objects.addressees_of(rec).filter(pk__in=scope.organisation_ids))
