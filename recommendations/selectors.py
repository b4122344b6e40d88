"""Reads: querysets and aggregates over recommendations.

Views in ``reports`` reach recommendation data only through this module.
"""

from django.db.models import Count, Prefetch, QuerySet

from recommendations.models import Owner, ProgressUpdate, Recommendation, Status


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


def recommendation_detail(pk: int) -> Recommendation:
    """One recommendation with report, owners, dimensions and history. 5 queries."""
    return (
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
