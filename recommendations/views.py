from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from recommendations import selectors
from recommendations.exports import FORMATS, export_response
from recommendations.filters import RecommendationFilter
from recommendations.models import Owner, Recommendation, Status
from recommendations.tables import RecommendationTable

PAGE_SIZES = (25, 50, 100)


def _get_recommendation_for_user(request, pk: int) -> Recommendation:
    """The recommendation if this user may see it, else 404."""
    try:
        return selectors.recommendation_detail(pk)
    except Recommendation.DoesNotExist:
        raise Http404("No such recommendation.") from None


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def table_page(request, queryset, *, export_stem: str, filterset: RecommendationFilter | None = None):
    """Filter, sort and paginate ``queryset`` for the table, or export the whole
    filtered, sorted set when ``?_export=csv|xlsx|json``. Returns (table, export
    response or None). Shared by every page that shows the table."""
    if filterset is not None:
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
        if filterset.is_valid() and filterset.form.cleaned_data.get("q") and "sort" not in request.GET:
            if "rank" in queryset.query.annotations:  # PostgreSQL full-text search: best match first
                queryset = queryset.order_by("-rank", *selectors.DEFAULT_ORDER)
    table = RecommendationTable(queryset, order_by=request.GET.get("sort"))
    export = request.GET.get("_export")
    if export in FORMATS:
        return table, export_response(table.data.data, export, stem=export_stem)
    try:
        table.paginate(page=request.GET.get("page", 1), per_page=page_size(request))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of results.") from None
    return table, None


@require_safe
def recommendation_list(request):
    """The filterable, sortable, exportable table. Bounded queries: session, user,
    4 for the filter form's choices, count, page, owners of the page's rows."""
    filterset = RecommendationFilter(request.GET, queryset=selectors.recommendations_for_table())
    table, export = table_page(request, filterset.queryset, export_stem="recommendations", filterset=filterset)
    if export:
        return export
    return render(
        request,
        "recommendations/list.html",
        {"filterset": filterset, "table": table, "page_sizes": PAGE_SIZES, "per_page": page_size(request)},
    )


@require_safe
def detail(request, pk):
    """A recommendation with its chain of related recommendations and its history."""
    recommendation = _get_recommendation_for_user(request, pk)
    return render(request, "recommendations/detail.html", {"recommendation": recommendation})


@require_safe
def owner_list(request):
    """Every organisation, grouped by kind, with the status of what is addressed to it. 4 queries."""
    owners = list(Owner.objects.order_by("kind", "-all_cpps", "name"))
    counts = selectors.owner_status_counts()
    groups: dict[str, list] = {}
    for owner in owners:
        summary = selectors.status_summary(counts.get(owner.pk, {}))
        groups.setdefault(Owner.Kind(owner.kind).label, []).append(
            {"owner": owner, "summary": summary, "total": sum(item["count"] for item in summary)}
        )
    order = [kind.label for kind in Owner.Kind]
    return render(
        request,
        "recommendations/owner_list.html",
        {"groups": sorted(groups.items(), key=lambda item: order.index(item[0])), "statuses": list(Status)},
    )


@require_safe
def owner_detail(request, slug):
    """One organisation: its status summary and the table of its recommendations."""
    owner = get_object_or_404(Owner, slug=slug)
    queryset = selectors.recommendations_for_owner(owner)
    table, export = table_page(request, queryset, export_stem=owner.slug)
    if export:
        return export
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("id")))
    return render(
        request,
        "recommendations/owner_detail.html",
        {
            "owner": owner,
            "table": table,
            "summary": selectors.status_summary(counts),
            "page_sizes": PAGE_SIZES,
            "per_page": page_size(request),
        },
    )
