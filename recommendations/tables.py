import functools
from html import escape

import django_tables2 as tables
from django.db.models.functions import Left
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django_tables2.templatetags.django_tables2 import table_page_range

from recommendations import selectors
from recommendations.models import OWNER_NAMES_SORT_PREFIX, Recommendation
from tracker.dates import format_partial_date
from tracker.richtext import plain
from tracker.templatetags.tracker_tags import rag_tag_html
from tracker.urlmaker import url_maker

EXCERPT = 200  # characters of a recommendation's text in the table
# What a row shows, read as values (body_html).
ROW_FIELDS = (
    "pk",
    "number",
    "text",
    "theme",
    "status",
    "status_date",
    "status_date_precision",
    "update_count",
    "report__slug",
    "report__short_title",
)


def excerpt(text: str) -> str:
    """The text alone on one line, at most EXCERPT characters ("…" ends a cut)."""
    text = plain(text).replace("\n- ", " – ")
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


class RecommendationTable(tables.Table):
    """The recommendations table. Every column sorts; status sorts by severity
    (Red, Amber, Green, Not rated, Never assessed) because the stored status is
    numbered in that order."""

    caption = "Recommendations"
    caption_class = "visually-hidden"

    report = tables.Column(
        verbose_name="Report",
        accessor="report__short_title",
        order_by=("report__published", "report__title", "number"),
        linkify=lambda record: record.report.get_absolute_url(),
    )
    number = tables.Column(verbose_name="No.", order_by=("number", "report__published"))
    text = tables.Column(verbose_name="Recommendation", order_by=("text",), attrs={"td": {"class": "text"}})
    owners = tables.Column(verbose_name="Addressed to", accessor="pk", order_by=("owner_names", "pk"))
    theme = tables.Column(verbose_name="Theme", order_by=("theme",))
    status = tables.Column(verbose_name="Status", order_by=("status", "-status_date", "pk"))
    status_date = tables.Column(verbose_name="Last assessed", order_by=("status_date", "pk"))
    update_count = tables.Column(
        verbose_name="Updates", order_by=("update_count", "pk"), attrs={"td": {"class": "tracker-table__number"}}
    )

    class Meta:
        model = Recommendation
        fields = ["report", "number", "text", "owners", "theme", "status", "status_date", "update_count"]
        attrs = {"id": "recommendations-table"}
        empty_text = "No recommendations match these filters."

    def render_text(self, value, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), excerpt(value))

    def render_owners(self, record):
        return format_html_join(
            ", ", '<a href="{}">{}</a>', ((o.get_absolute_url(), o.name) for o in record.owners.all())
        )

    def render_status(self, value):
        return rag_tag_html(value)

    def render_status_date(self, value, record):
        return format_partial_date(value, record.status_date_precision)

    def body_html(self):
        """The page's rows in one pass: the same HTML as django-tables2's cell-by-cell
        rendering through the render methods above (tests/test_table_rendering.py holds
        them equal), at a fraction of the cost. Per cell, django-tables2 inspected each
        render method's signature; per row, the owners' prefetch built a queryset, and
        reverse() resolved three or four URLs (BENCHMARKS.md). Here the page's rows come
        in one query and their owners in one more, each URL is reversed once per page,
        and text is escaped directly. Columns, their order and their <td> attributes
        still come from the table. The rows are read as values, not model instances."""
        # The page's slice of the queryset, as values: model instances cost three times as much.
        records = list(self.paginated_rows.data.values(*ROW_FIELDS))
        if not records:
            return ""
        owners = selectors.owners_of([rec["pk"] for rec in records])
        report_url = url_maker("reports:detail")
        rec_url = url_maker("recommendations:detail")
        owner_url = url_maker("recommendations:owner")
        dates = functools.cache(format_partial_date)
        default = escape(self.default)

        def owner_links(rec):
            return ", ".join(f'<a href="{owner_url(o.slug)}">{escape(o.name)}</a>' for o in owners.get(rec["pk"], ()))

        cell = {
            "report": lambda rec: (
                f'<a href="{report_url(rec["report__slug"])}">{escape(rec["report__short_title"])}</a>'
            ),
            "number": lambda rec: rec["number"],
            "text": lambda rec: f'<a href="{rec_url(rec["pk"])}">{escape(excerpt(rec["text"]))}</a>',
            "owners": owner_links,
            "theme": lambda rec: escape(rec["theme"]) if rec["theme"] else default,
            "status": lambda rec: rag_tag_html(rec["status"]),
            "status_date": lambda rec: (
                escape(dates(rec["status_date"], rec["status_date_precision"])) if rec["status_date"] else default
            ),
            "update_count": lambda rec: rec["update_count"],
        }
        columns = [(cell[column.name], column.attrs["td"].as_html()) for column in self.columns]
        rows = (
            '<tr class="{}">{}</tr>'.format(
                "odd" if index % 2 else "even", "".join(f"<td {attrs}>{render(rec)}</td>" for render, attrs in columns)
            )
            for index, rec in enumerate(records)
        )
        return mark_safe("\n".join(rows))  # noqa: S308  # nosec - every value escaped above

    def as_html(self, request):
        """The whole table: the same HTML as the library's rendering through
        templates/django_tables2/sgds_table.html (``library_html``; tests hold the two
        equal, whitespace aside), built in Python. Through the template, the header and
        the pagination cost a query-string rebuild and a dozen attribute lookups per
        link, about 9 ms a page (BENCHMARKS.md)."""
        self.before_render(request)
        query = dict(request.GET.lists())
        columns = list(self.columns)
        body = self.body_html()
        if not body and self.empty_text:
            body = f'<tr><td colspan="{len(columns)}">{escape(str(self.empty_text))}</td></tr>'
        caption = ""
        if self.caption:
            css = f' class="{escape(self.caption_class)}"' if self.caption_class else ""
            caption = f"<caption{css}>{escape(self.caption)}</caption>"
        return mark_safe(  # noqa: S308  # nosec - every value escaped here or in body_html
            '<div class="tracker-table-wrapper">'
            f"<table {self._table_attrs()}>{caption}"
            f"<thead><tr>{''.join(self._header_cell(column, query) for column in columns)}</tr></thead>"
            f"<tbody>{body}</tbody></table>{self._pagination_html(query)}</div>"
        )

    def library_html(self, request):
        """The table as django-tables2 renders it, through the template: the reference
        ``as_html`` is held to."""
        return super().as_html(request)

    def _table_attrs(self) -> str:
        attrs = tables.utils.AttributeDict({"class": "ds_table tracker-table", **self.attrs})
        html = attrs.as_html()
        return html if "data-smallscreen" in attrs else f'{html} data-smallscreen="scrolling"'

    def _header_cell(self, column, query: dict) -> str:
        th = column.attrs["th"].as_html()
        if not column.orderable:
            return f'<th {th} scope="col">{escape(str(column.header))}</th>'
        alias = column.order_by_alias
        sort = ""
        indicator = ""
        if column.is_ordered:
            sort = f' aria-sort="{"descending" if alias.is_descending else "ascending"}"'
            indicator = (
                '<span class="tracker-sort-link__indicator" aria-hidden="true">'
                f"{'▼' if alias.is_descending else '▲'}</span>"
            )
        following = alias.next
        href = _query_replace(query, {self.prefixed_order_by_field: following}, drop=self.prefixed_page_field)
        direction = "descending" if following.startswith("-") else "ascending"
        return (
            f'<th {th} scope="col"{sort}><a class="tracker-sort-link" href="{href}">{escape(str(column.header))}'
            f'<span class="visually-hidden">, sort {direction}</span>{indicator}</a></th>'
        )

    def _pagination_html(self, query: dict) -> str:
        page = getattr(self, "page", None)  # not "if not page": len(page) would read its rows again
        if page is None or self.paginator.num_pages <= 1:
            return ""
        field = self.prefixed_page_field
        icons = static("vendor/sgds/images/icons/icons.stack.svg")
        items = []
        if page.has_previous():
            href = _query_replace(query, {field: page.previous_page_number()})
            items.append(
                '<li class="ds_pagination__item"><a class="ds_pagination__link ds_pagination__link--text '
                f'ds_pagination__link--icon" href="{href}"> <svg class="ds_icon" aria-hidden="true" role="img">'
                f'<use href="{icons}#chevron_left"></use></svg> <span class="ds_pagination__link-label">Previous'
                '<span class="visually-hidden"> page</span></span> </a></li>'
            )
        if page.has_previous() or page.has_next():
            for number in table_page_range(page, self.paginator):
                if number == "...":
                    items.append(
                        '<li class="ds_pagination__item" aria-hidden="true"><span class="ds_pagination__link '
                        'ds_pagination__link--ellipsis">&hellip;</span></li>'
                    )
                    continue
                current = ' ds_current" aria-current="page' if number == page.number else ""
                items.append(
                    f'<li class="ds_pagination__item"><a class="ds_pagination__link{current}" '
                    f'href="{_query_replace(query, {field: number})}"><span class="visually-hidden">Page </span>'
                    f'<span class="ds_pagination__link-label">{number}</span></a></li>'
                )
        if page.has_next():
            href = _query_replace(query, {field: page.next_page_number()})
            items.append(
                '<li class="ds_pagination__item"><a class="ds_pagination__link ds_pagination__link--text '
                f'ds_pagination__link--icon" href="{href}"> <span class="ds_pagination__link-label">Next'
                '<span class="visually-hidden"> page</span></span> <svg class="ds_icon" aria-hidden="true" '
                f'role="img"><use href="{icons}#chevron_right"></use></svg> </a></li>'
            )
        return (
            '<nav class="ds_pagination" aria-label="Pages of this table"><ul class="ds_pagination__list">'
            f"{''.join(items)}</ul></nav>"
        )

    def order_owners(self, queryset, is_descending):
        """By the owners' names as exports print them (sorted, joined): on an index of their
        first OWNER_NAMES_SORT_PREFIX characters. A subquery per row for the first owner's
        name took 1.7 s at 100,000 recommendations (BENCHMARKS.md, fifth round)."""
        key = Left("owner_names", OWNER_NAMES_SORT_PREFIX)
        return queryset.order_by(key.desc() if is_descending else key.asc(), "-pk" if is_descending else "pk"), True

    def value_status(self, record):
        return record.status_label


def _query_replace(query: dict, updates: dict, drop: str | None = None) -> str:
    """``?`` and the query string with ``updates`` (and without ``drop``), escaped for an
    attribute: what django-tables2's ``querystring_replace`` tag gives, from a query
    parsed once per page rather than once per link."""
    params = {**query, **updates}
    if drop:
        params.pop(drop, None)
    return escape("?" + urlencode(params, doseq=True))
