from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from recommendations.selectors import recommendations_for_report, status_counts_by_report, status_summary
from reports.models import Report


@require_safe
def report_list(request):
    """Every publication, newest first, with its recommendations' status counts. 3 queries."""
    reports = list(Report.objects.prefetch_related("publishers").select_related("follows_up"))
    counts = status_counts_by_report(r.pk for r in reports)
    rows = [
        {"report": r, "summary": status_summary(counts.get(r.pk, {})), "total": sum(counts.get(r.pk, {}).values())}
        for r in reports
    ]
    return render(request, "reports/report_list.html", {"rows": rows})


@require_safe
def report_detail(request, slug):
    """A publication: metadata and its recommendations with current status. 5 queries."""
    report = get_object_or_404(
        Report.objects.select_related("follows_up").prefetch_related("publishers", "followed_up_by"), slug=slug
    )
    recommendations = list(recommendations_for_report(report))
    counts = status_counts_by_report([report.pk]).get(report.pk, {})
    return render(
        request,
        "reports/report_detail.html",
        {"report": report, "recommendations": recommendations, "summary": status_summary(counts)},
    )
