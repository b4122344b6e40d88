import django_tables2 as tables
from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Window
from django.db.models.functions import Left
from django.http import Http404
from django.template.loader import get_template
from django_tables2 import RequestConfig
from django_tables2.rows import BoundRows

from recommendations import exports_addressees, selectors
from recommendations.access import scope_for
from recommendations.exports import FORMATS, export_response
from recommendations.models import OWNER_NAMES_SORT_PREFIX, Recommendation
from tracker.cache import data_version
from tracker.dates import format_partial_date
from tracker.inputs import page_number
from tracker.richtext import plain

EXCERPT = 200  # characters of a recommendation's text in the table
PAGE_SIZES = (25, 50, 100)  # the rows a page may show; anything else shows the first


def excerpt(text: str) -> str:
    """The text alone on one line, at most EXCERPT characters ("…" ends a cut)."""
    text = plain(text).replace("\n- ", " – ")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


class PartialColumn(tables.Column):
    """A cell rendered by a template partial given only the row (``record``) and the cell's
    ``value``. Unlike TemplateColumn's ``template_name``, the partial is not rendered in the
    page's RequestContext: that ran every context processor again for every cell, and made
    a page of 100 rows several times slower."""

    def __init__(self, template_name: str, **kwargs):
        super().__init__(**kwargs)
        self.template_name = template_name

    def render(self, record, value):
        return get_template(self.template_name).render({"record": record, "value": value})


class RecommendationTable(tables.Table):
    """The recommendations table, rendered by django-tables2 through
    templates/django_tables2/sgds_table.html. Every column sorts; status sorts by severity
    (Red, Amber, Green, Not rated, Never assessed) because the stored status is numbered
    in that order.

    The owners of a page's rows come in one query for the whole page (``load_page_owners``,
    called by the view once the table is paginated), not one per row while the template
    renders."""

    caption = "Recommendations"
    caption_class = "visually-hidden"

    report = tables.Column(
        verbose_name="Report",
        accessor="report__short_title",
        order_by=("report__published", "report__title", "number"),
        linkify=lambda record: record.report.get_absolute_url(),
    )
    # The link to the recommendation is on its reference, so that its text reads as text.
    number = PartialColumn(
        verbose_name="No.",
        template_name="recommendations/_cell_reference.html",
        order_by=("number", "report__published"),
        attrs={"td": {"class": "tracker-table__ref"}},
    )
    text = tables.Column(
        verbose_name="Recommendation", order_by=("text",), attrs={"td": {"class": "tracker-table__text"}}
    )
    owners = PartialColumn(
        verbose_name="Addressed to",
        template_name="recommendations/_cell_owners.html",
        accessor="pk",
        order_by=("owner_names", "pk"),
    )
    theme = tables.Column(verbose_name="Theme", order_by=("theme",))
    status = PartialColumn(
        verbose_name="Status",
        template_name="recommendations/_cell_status.html",
        order_by=("status", "-status_date", "pk"),
        attrs={"td": {"class": "tracker-table__status"}},
    )
    status_date = tables.Column(verbose_name="Last assessed", order_by=("status_date", "pk"))
    update_count = tables.Column(
        verbose_name="Updates", order_by=("update_count", "pk"), attrs={"td": {"class": "tracker-table__number"}}
    )

    class Meta:
        model = Recommendation
        fields = ["report", "number", "text", "owners", "theme", "status", "status_date", "update_count"]
        # On a small screen each row is a box of labelled cells (SGDS); see sgds_table.html.
        attrs = {"id": "recommendations-table", "data-smallscreen": "boxes"}
        empty_text = "No recommendations match these filters."
        per_page = PAGE_SIZES[0]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_owners: dict[int, list] | None = None

    def paginate(self, *args, per_page=None, **kwargs):
        """Only the offered page sizes: RequestConfig passes on whatever ``per_page`` says."""
        return super().paginate(*args, per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[0], **kwargs)

    def load_page_owners(self) -> None:
        """The owners of the current page's rows, in one query (selectors.owners_of). Reads the
        page's rows, which the template then renders without reading them again."""
        self.page_owners = selectors.owners_of([row.record.pk for row in self.paginated_rows])

    def render_owners(self, record, column):
        """The row's owners, from the page's (``load_page_owners``), through the column's partial."""
        if self.page_owners is None:  # a caller that did not load them: still one query a page
            self.load_page_owners()
        return column.render(record, self.page_owners.get(record.pk, ()))

    def render_text(self, value):
        return excerpt(value)

    def render_status_date(self, value, record):
        return format_partial_date(value, record.status_date_precision)

    def order_owners(self, queryset, is_descending):
        """By the owners' names as exports print them (sorted, joined): on an index of their
        first OWNER_NAMES_SORT_PREFIX characters, not a subquery per row for the first
        owner's name (BENCHMARKS.md, fifth round)."""
        key = Left("owner_names", OWNER_NAMES_SORT_PREFIX)
        return queryset.order_by(key.desc() if is_descending else key.asc(), "-pk" if is_descending else "pk"), True

    def value_status(self, record):
        return record.status_label


class CountedInPagePaginator(Paginator):
    """Pages of a ranked search, counted by the page's own query (a window count): ranking
    already reads every match, so a separate COUNT(*) read them all a second time. One
    query a page instead of two; a page past the end still counts apart, to say so."""

    def page(self, number):
        rows = self.object_list  # the table's BoundRows over its ordered queryset
        number = max(1, int(number))
        start = (number - 1) * self.per_page
        queryset = rows.data.data.annotate(in_all=Window(Count("pk")))
        records = list(queryset[start : start + self.per_page])
        if records or number == 1:
            self.__dict__["count"] = records[0].in_all if records else 0
        number = self.validate_number(number)
        return self._get_page(BoundRows(data=records, table=rows.table), number, self)


def page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


RESULTS_FRAGMENT = "results"  # the {% cache %} fragment name in templates/recommendations/_results.html


def _results_vary(request, scope) -> str:
    """What the kept results block depends on: the data, what ``scope`` may see and the
    whole address (filters, sort, page, page size)."""
    return f"{data_version()}|{scope.key}|{request.get_full_path()}"


def respond_column() -> tuple[str, tables.Column]:
    """The "Your response" column of "my recommendations": a link to record one."""
    column = PartialColumn(
        verbose_name="Your response",
        template_name="recommendations/_cell_respond.html",
        accessor="pk",
        orderable=False,
    )
    return ("respond", column)


def table_page(request, queryset, *, export_stem: str, filterset=None, extra_columns=(), scope=None):
    """Filter, sort and paginate ``queryset`` for the table, or export the whole
    filtered, sorted set when ``?_export=csv|xlsx|json``. Returns (table, export
    response or None). Shared by every page that shows the table.

    django-tables2's RequestConfig reads the sort (``sort``), the page (``page``, 404 if
    it is not one) and the page size (``per_page``: one of PAGE_SIZES). The owners of the
    page's rows are then fetched in one query, before the template renders the rows.

    Given the viewer's ``scope``, a results block already kept in the cache for this
    address (``table.kept_results``) is used as it is: the table is then neither counted
    nor paginated, and its owners are not fetched."""
    ranked = False
    if filterset is not None:
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
        if filterset.is_valid() and filterset.form.cleaned_data.get("q") and "sort" not in request.GET:
            if "rank" in queryset.query.annotations:  # PostgreSQL full-text search: best match first
                queryset = queryset.order_by("-rank", *selectors.DEFAULT_ORDER)
                ranked = True
    table = RecommendationTable(queryset, extra_columns=list(extra_columns))
    export = request.GET.get("_export")
    if export in exports_addressees.FORMATS and scope is not None:
        # Per addressee (#19): a row per recommendation and organisation, both voices.
        RequestConfig(request, paginate=False).configure(table)
        return table, exports_addressees.addressees_response(table.data.data, export, scope=scope, stem=export_stem)
    if export in FORMATS:
        RequestConfig(request, paginate=False).configure(table)
        # An officer's file says whose recommendations it holds (its name; an XLSX, a sheet).
        about = scope_for(request.user).words
        return table, export_response(table.data.data, export, stem=export_stem, about=about)
    table.kept_results = None
    if scope is not None:
        kept = cache.get(make_template_fragment_key(RESULTS_FRAGMENT, [_results_vary(request, scope)]))
        if kept is not None:  # only a page that rendered was kept: no 400 or 404 to find
            table.kept_results = kept
            return table, None
    # A page that is not a number is a 400 (page_number); one past the end, a 404.
    paginate = {"per_page": page_size(request), "page": page_number(request), "silent": False}
    if ranked:
        paginate["paginator_class"] = CountedInPagePaginator
    try:
        RequestConfig(request, paginate=paginate).configure(table)
    except EmptyPage:
        raise Http404("No such page of results.") from None
    table.load_page_owners()
    return table, None


def table_context(request, table, *, scope) -> dict:
    """What the shared results template needs beside the table: ``cache_vary`` keys the
    kept rendering by the data version, what ``scope`` may see and the whole address;
    ``kept_results``, that rendering when table_page found it kept."""
    return {
        "table": table,
        "page_sizes": PAGE_SIZES,
        "per_page": page_size(request),
        "cache_seconds": settings.TRACKER_CACHE_SECONDS,
        "cache_vary": _results_vary(request, scope),
        "kept_results": getattr(table, "kept_results", None),
    }
