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
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from recommendations.access import Scope
from recommendations.models import Owner, ProgressUpdate, Recommendation, Status
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
    return theirs.exists() or scope.recommendations(Recommendation.objects.for_report(report)).exists()


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
    # Each voice's history runs on its own: a local response is compared with the same
    # organisation's previous one, a national assessment with the previous national one.
    previous: dict = {}
    for update in reversed(rec.updates.all()):
        update.previous_rag = previous.get(update.concerns_id)
        previous[update.concerns_id] = update.rag
    rec.local_responses = local_responses_of(rec.updates.all())
    rec.earlier = _chain(rec, "carries_forward", scope)
    rec.later = _chain(rec, "carried_forward_by", scope)
    return rec


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
    return counts


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


class _History:
    """Each recommendation's ratings in order of (date assessed, created, id): as_at() is a
    binary search of its dates (a trend asks for every recommendation at a dozen dates)."""

    def __init__(self, rows):
        self.by_rec: dict[int, tuple[list, list]] = {}  # id -> ([dates], [(status, date, precision)])
        precisions: dict[datetime.date, set] = {}
        for rec_id, assessed_on, precision, rag in rows:
            dates, entries = self.by_rec.setdefault(rec_id, ([], []))
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


def _breakdown(recs, key) -> list[dict]:
    groups: dict = {}
    for rec in recs:
        for group in key(rec):
            groups.setdefault(group, []).append(rec.status_as_at)
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
    """Everything on a report's dashboard, optionally as it stood on ``as_at``. 5 queries
    (6 for an officer: the report's recommendations in all, which their counts are "of")."""
    recs = list(recommendations_for_report(report, scope=scope))
    owners = owners_of([rec.pk for rec in recs])
    history = _History(
        scope.updates(national_updates().filter(recommendation__report=report))
        .order_by("assessed_on", "created", "id")
        .values_list("recommendation_id", "assessed_on", "assessed_precision", "rag")
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
    return Dashboard(
        report=report,
        as_at=as_at,
        recommendations=recs,
        summary=status_summary(_counts(rec.status_as_at for rec in recs)),
        by_owner=_breakdown(recs, lambda rec: owners.get(rec.pk, ())),
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
