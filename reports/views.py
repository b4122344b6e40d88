from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Window
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from recommendations import selectors
from recommendations.access import scope_for
from recommendations.filters import RecommendationFilter
from recommendations.tables import table_context, table_page
from reports.forms import AppendixForm, AsAtForm, DashboardForm
from reports.models import Report
from reports.pdf import appendix_pdf
from tracker.cache import data_version, kept
from tracker.inputs import page_number

REPORTS_PER_PAGE = 25


def _report_page(request, scope, as_at=None) -> dict:
    """One page of publications, newest first, each with its (visible) recommendations'
    status counts, now or ``as_at`` a date (then only the publications out by then). 2
    queries (4 as at a date): the page, with the number of publications in all as a
    window count in the same query, and the page's counts: a page at a time, because
    every publication on one page took seconds at the benchmark's scale (BENCHMARKS.md)."""
    number = page_number(request)
    start = (number - 1) * REPORTS_PER_PAGE
    reports = Report.objects.all() if as_at is None else Report.objects.filter(published__lte=as_at)
    reports = list(
        reports.select_related("follows_up").annotate(in_all=Window(Count("pk")))[start : start + REPORTS_PER_PAGE]
    )
    if number > 1 and not reports:
        raise Http404("No such page of publications.")
    if as_at is None:
        counts = selectors.status_counts_by_report((r.pk for r in reports), scope=scope)
    else:
        counts = selectors.status_counts_as_at(as_at, scope=scope, report_ids=[r.pk for r in reports])
    in_all = reports[0].in_all if reports else 0
    # A follow-up publication makes no recommendations: its row says what it published.
    published = selectors.published_in_counts((r.pk for r in reports if not counts.get(r.pk)), scope=scope)
    return {
        "rows": [
            {
                "report": r,
                "summary": selectors.status_summary(counts.get(r.pk, {})),
                "total": sum(counts.get(r.pk, {}).values()),
                "published": published.get(r.pk, 0),
            }
            for r in reports
        ],
        "reports_in_all": in_all,
        "page_number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if start + REPORTS_PER_PAGE < in_all else None,
        "num_pages": max(1, -(-in_all // REPORTS_PER_PAGE)),
    }


def _kept_report_page(request, scope, as_at=None) -> dict:
    """_report_page(), kept in the cache under the data version, what ``scope`` may see, the
    page and the date: no query while the data are unchanged."""
    number = page_number(request)  # a page that is not a number is a 400 before any cache read
    return kept(("report-page", scope.key, number, as_at), lambda: _report_page(request, scope, as_at))


@require_safe
def report_list(request):
    """Every publication, a page at a time, with a compact RAG distribution. 5 queries
    (3 when kept)."""
    return render(request, "reports/report_list.html", _kept_report_page(request, scope_for(request.user)))


@require_safe
def portfolio(request):
    """The signed-in home page: totals (open ones apart, closed ones by reason), implementation
    over time, a page of publications, recent updates; now, or as they stood on a date
    (``?as_at=``, recomputed from the history). Built, 9 queries (16 as at a date) and 7 more
    for the implementation fragment; kept in the cache under the data version, what the viewer
    may see, the page and the date, 3 (session, user, roles)."""
    scope = scope_for(request.user)
    form = AsAtForm(request.GET if "as_at" in request.GET else None)
    as_at = form.cleaned_data["as_at"] if form.is_bound and form.is_valid() else None

    def portfolio_data() -> dict:
        if as_at is None:
            summary = selectors.visible_status_summary(scope=scope)
            closures = selectors.closures_now(scope=scope)
        else:
            summary = selectors.status_summary(selectors.status_counts_as_at(as_at, scope=scope).get(None, {}))
            closures = selectors.closures_as_at(as_at, scope=scope)
        closed = closures.get(None, selectors.Closures())
        counts = {item["status"].value: item["count"] for item in summary}
        open_summary = selectors.status_summary(selectors.open_counts(counts, closed))
        return {
            "summary": summary,
            "total": sum(item["count"] for item in summary),
            "latest_updates": selectors.latest_updates(scope=scope, limit=10, as_at=as_at),
            # An officer's totals are of what is addressed to them: "24 (of 51)".
            "in_all": None if scope.everything else selectors.recommendation_count(as_at=as_at),
            "open_summary": open_summary,
            "open_total": sum(item["count"] for item in open_summary),
            "closed": closed,
            "follow_up": selectors.follow_up_counts(scope=scope) if as_at is None else None,
        }

    return render(
        request,
        "reports/report_list.html",
        {
            **_kept_report_page(request, scope, as_at),
            **kept(("portfolio", scope.key, as_at), portfolio_data),
            "form": form,
            "as_at": as_at,
            # Computed only when the template does not find it kept (the "implementation" fragment).
            "implementation": SimpleLazyObject(lambda: selectors.implementation_over_time(scope=scope, as_at=as_at)),
            "implementation_vary": f"{data_version()}|{scope.key}|{as_at}",
            "cache_seconds": settings.TRACKER_CACHE_SECONDS,
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
            "not_yet_published": as_at is not None and as_at < report.published,
            # What a follow-up published; read only when the kept fragments are not found.
            "published": SimpleLazyObject(lambda: selectors.published_in(report, scope=scope)),
            # Only today's dashboard shows the shared table (as at a date, the kept fragment lists them).
            "has_recommendations": as_at is None and selectors.recommendations_for_report(report, scope=scope).exists(),
            "dashboard_vary": f"{data_version()}|{scope.key}|{report.pk}|{as_at}|{stale_months}|{timezone.localdate()}",
            **table_context(request, table, scope=scope),
        },
        # A bad date or filter: the dashboard as of today and the errors by their fields.
        status=400 if form.errors or filterset.errors else 200,
    )


def _appendix_context(request, slug) -> tuple[dict, int]:
    """What the appendix shows, on the page and in its PDF, and the status code: the
    publication (404 if this viewer may not see it), its rows as at ``?as_at=`` (today if
    none; a bad date is a 400 with today's rows and the error), the day it was printed,
    and for an officer whose recommendations it holds."""
    report = _get_report_for_user(request, slug)
    scope = scope_for(request.user)
    form = AppendixForm(request.GET if "as_at" in request.GET else None)
    as_at = form.cleaned_data["as_at"] if form.is_bound and form.is_valid() else None
    today = timezone.localdate()
    rows = selectors.report_appendix(report, scope=scope, as_at=as_at)
    context = {
        "report": report,
        "rows": rows,
        "form": form,
        "as_at": as_at,
        "status_date": as_at or today,
        "printed_on": today,
        "not_yet_published": as_at is not None and as_at < report.published,
        "shown": sum(len(row.recommendations) for row in rows),
        "coverage": selectors.appendix_coverage(report, scope=scope),
        "cache_key": f"appendix-pdf|{data_version()}|{scope.key}|{report.pk}|{as_at}|{today}",
    }
    return context, 400 if form.errors else 200


@require_safe
def report_appendix(request, slug):
    """A printable "progress on implementing recommendations" appendix. 7 queries."""
    context, status = _appendix_context(request, slug)
    return render(request, "reports/appendix.html", context, status=status)


@require_safe
def report_appendix_pdf(request, slug):
    """The appendix as an A4 PDF made on the server (WeasyPrint), so that a board paper
    does not depend on a browser's print. Same access and dates as the page; kept in the
    cache by data version, what the viewer may see, the date asked for and today."""
    context, status = _appendix_context(request, slug)
    if status != 200:
        return render(request, "reports/appendix.html", context, status=status)
    pdf = cache.get(context["cache_key"])
    if pdf is None:
        html = render_to_string("reports/appendix_pdf.html", context, request=request)
        pdf = appendix_pdf(html, base_url=request.build_absolute_uri("/"))
        cache.set(context["cache_key"], pdf, timeout=24 * 60 * 60)
    response = HttpResponse(pdf, content_type="application/pdf")
    day = (context["as_at"] or context["printed_on"]).isoformat()
    response["Content-Disposition"] = f'attachment; filename="{context["report"].slug}-appendix-{day}.pdf"'
    return response
