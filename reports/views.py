from django.conf import settings
from django.db.models import Count, Window
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.filters import RecommendationFilter
from recommendations.tables import table_context, table_page
from reports.forms import AsAtForm, DashboardForm
from reports.models import Report
from tracker.cache import data_version
from tracker.inputs import page_number

REPORTS_PER_PAGE = 25


def _report_page(request, scope, as_at=None) -> dict:
    """One page of publications, newest first, each with its (visible) recommendations'
    status counts, now or ``as_at`` a date (then only the publications out by then). 2
    queries (4 as at a date): the page, with the number of publications in all as a
    window count in the same query, and the page's counts. Every publication on one
    page took 4.5 s at 4,000 publications (BENCHMARKS.md)."""
    number = page_number(request)
    start = (number - 1) * REPORTS_PER_PAGE
    reports = Report.objects.all() if as_at is None else Report.objects.filter(published__lte=as_at)
    reports = list(reports.annotate(in_all=Window(Count("pk")))[start : start + REPORTS_PER_PAGE])
    if number > 1 and not reports:
        raise Http404("No such page of publications.")
    if as_at is None:
        counts = selectors.status_counts_by_report((r.pk for r in reports), scope=scope)
    else:
        counts = selectors.status_counts_as_at(as_at, scope=scope, report_ids=[r.pk for r in reports])
    in_all = reports[0].in_all if reports else 0
    return {
        "rows": [
            {
                "report": r,
                "summary": selectors.status_summary(counts.get(r.pk, {})),
                "total": sum(counts.get(r.pk, {}).values()),
            }
            for r in reports
        ],
        "reports_in_all": in_all,
        "page_number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if start + REPORTS_PER_PAGE < in_all else None,
        "num_pages": max(1, -(-in_all // REPORTS_PER_PAGE)),
    }


@require_safe
def report_list(request):
    """Every publication, a page at a time, with a compact RAG distribution. 5 queries."""
    return render(request, "reports/report_list.html", _report_page(request, scope_for(request.user)))


@require_safe
def portfolio(request):
    """The signed-in home page: totals, a page of publications, recent updates; now, or as
    they stood on a date (``?as_at=``, recomputed from the history). 7 queries (11 as at a date)."""
    scope = scope_for(request.user)
    form = AsAtForm(request.GET if "as_at" in request.GET else None)
    as_at = form.cleaned_data["as_at"] if form.is_bound and form.is_valid() else None
    if as_at is None:
        summary = selectors.visible_status_summary(scope=scope)
    else:
        summary = selectors.status_summary(selectors.status_counts_as_at(as_at, scope=scope).get(None, {}))
    return render(
        request,
        "reports/report_list.html",
        {
            **_report_page(request, scope, as_at),
            "form": form,
            "as_at": as_at,
            "summary": summary,
            "total": sum(item["count"] for item in summary),
            "latest_updates": selectors.latest_updates(scope=scope, limit=10, as_at=as_at),
            "follow_up": selectors.follow_up_counts(scope=scope) if as_at is None else None,
        },
        status=400 if form.errors else 200,  # a bad date: shown today's, with the error by the field
    )


def _get_report_for_user(request, slug) -> Report:
    """The publication if this user may see it (another organisation's local response is
    not theirs to open), else 404."""
    report = get_object_or_404(
        Report.objects.select_related("follows_up").prefetch_related("publishers", "followed_up_by"), slug=slug
    )
    if not selectors.may_see_publication(report, scope=scope_for(request.user)):
        raise Http404("No such publication.")
    return report


@require_safe
def report_detail(request, slug):
    """The per-report dashboard, optionally "as at" a date, with the report's
    recommendations in the shared table (same filters and exports). Bounded
    queries: the report (3), its history and recommendations (4), latest
    updates (1), and the table's (about 7)."""
    report = _get_report_for_user(request, slug)
    scope = scope_for(request.user)
    form = DashboardForm(request.GET or None)
    as_at, stale_months = None, None
    if form.is_bound and form.is_valid():
        as_at, stale_months = form.cleaned_data["as_at"], form.cleaned_data["stale_months"]
    stale_months = stale_months or settings.TRACKER_STALE_MONTHS
    # Computed only when the template does not find it kept (the "dashboard" fragment).
    dashboard = SimpleLazyObject(
        lambda: selectors.report_dashboard(report, scope=scope, as_at=as_at, stale_months=stale_months)
    )

    filterset = RecommendationFilter(
        request.GET, queryset=selectors.recommendations_for_table(scope=scope).for_report(report), scope=scope
    )
    del filterset.filters["report"]
    table, export = table_page(request, filterset.queryset, export_stem=report.slug, filterset=filterset, scope=scope)
    if export:
        return export
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "dashboard": dashboard,
            "form": form,
            "filterset": filterset,
            "as_at": as_at,
            # Only today's dashboard shows the shared table (as at a date, the kept fragment lists them).
            "has_recommendations": as_at is None and selectors.recommendations_for_report(report, scope=scope).exists(),
            "dashboard_vary": f"{data_version()}|{scope.key}|{report.pk}|{as_at}|{stale_months}|{timezone.localdate()}",
            **table_context(request, table, scope=scope),
        },
        # A bad date or filter: the dashboard as of today and the errors by their fields.
        status=400 if form.errors or filterset.errors else 200,
    )


@require_safe
def report_appendix(request, slug):
    """A printable "progress on implementing recommendations" appendix. 5 queries."""
    report = _get_report_for_user(request, slug)
    rows = selectors.report_appendix(report, scope=scope_for(request.user))
    return render(request, "reports/appendix.html", {"report": report, "rows": rows})
