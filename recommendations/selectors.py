"""Reads: querysets and aggregates over recommendations.

Views in ``reports`` reach recommendation data only through this module.
"""

from django.db.models import Count, Prefetch, QuerySet

from recommendations.filters import owners_matching
from recommendations.models import Owner, ProgressUpdate, Recommendation, Status

# The table's default order: newest report first, then the report's own order.
DEFAULT_ORDER = ("-report__published", "report__title", "number")


def status_counts_by_report(report_ids) -> dict[int, dict[int, int]]:
    """{report_id: {status: count}} for the given reports, in one query."""
    rows = (
        Recommendation.objects.filter(report_id__in=list(report_ids))
        .values("report_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[int, int]] = {}
    for row in rows:
        counts.setdefault(row["report_id"], {})[row["status"]] = row["n"]
    return counts


def recommendations_for_report(report) -> QuerySet[Recommendation]:
    """The report's recommendations in order, with owners. 2 queries when evaluated."""
    return (
        Recommendation.objects.for_report(report)
        .order_by("number")
        .prefetch_related(Prefetch("owners", queryset=Owner.objects.only("id", "name", "slug")))
    )


def recommendations_for_table() -> QuerySet[Recommendation]:
    """The base queryset of the recommendations table: report joined, owners
    prefetched (one query per page), in the default order."""
    return (
        Recommendation.objects.select_related("report")
        .prefetch_related(Prefetch("owners", queryset=Owner.objects.only("id", "name", "slug").order_by("name")))
        .order_by(*DEFAULT_ORDER)
    )


def recommendations_for_owner(owner: Owner) -> QuerySet[Recommendation]:
    """Addressed to this owner; for a single CPP, also those addressed to all CPPs."""
    return recommendations_for_table().filter(owners_matching([owner.slug]))


def recommendation_detail(pk: int) -> Recommendation:
    """One recommendation with report, owners, dimensions, linked recommendations and
    history, each update annotated with the rating before it (``previous_rag``).
    7 queries, plus one per level of a carried-forward chain deeper than one."""
    rec = (
        Recommendation.objects.select_related("report")
        .prefetch_related(
            "owners",
            "audit_dimensions",
            Prefetch(
                "updates",
                queryset=ProgressUpdate.objects.select_related("published_in", "concerns", "author").order_by(
                    "-assessed_on", "-created", "-id"
                ),
            ),
        )
        .get(pk=pk)
    )
    history = list(rec.updates.all())
    for newer, older in zip(history, history[1:] + [None], strict=True):
        newer.previous_rag = older.rag if older else None
    rec.earlier = _chain(rec, "carries_forward")
    rec.later = _chain(rec, "carried_forward_by")
    return rec


def _chain(rec: Recommendation, relation: str, limit: int = 10) -> list[Recommendation]:
    """Recommendations linked through ``relation``, nearest first, following the chain."""
    found: list[Recommendation] = []
    seen = {rec.pk}
    frontier = [rec.pk]
    for _ in range(limit):
        step = list(
            Recommendation.objects.filter(**{f"{_reverse(relation)}__in": frontier})
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


def owner_status_counts() -> dict[int, dict[int, int]]:
    """{owner_id: {status: count}} over recommendations addressed to each owner; a
    single CPP also counts those addressed to all CPPs. 2 queries."""
    link = Recommendation.owners.through
    rows = link.objects.values("owner_id", "recommendation__status").annotate(n=Count("id")).order_by()
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


def status_summary(counts: dict[int, int]) -> list[dict]:
    """Counts for every status in severity order, with percentages of the total."""
    total = sum(counts.values())
    return [
        {
            "status": status,
            "count": counts.get(status.value, 0),
            "percent": round(100 * counts.get(status.value, 0) / total) if total else 0,
        }
        for status in Status
    ]
