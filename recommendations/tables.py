import functools
from html import escape

import django_tables2 as tables
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from recommendations import selectors
from recommendations.models import Recommendation
from tracker.dates import format_partial_date
from tracker.richtext import plain
from tracker.templatetags.tracker_tags import rag_tag_html
from tracker.urlmaker import url_maker

OwnerLink = Recommendation.owners.through
EXCERPT = 200  # characters of a recommendation's text in the table


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
    owners = tables.Column(verbose_name="Addressed to", accessor="pk", order_by=("first_owner",))
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
        still come from the table."""
        records = self.paginated_rows.data
        if isinstance(records, QuerySet):
            records = list(records)  # fills the page's cache: the pagination reads it again
        if not records:
            return ""
        owners = selectors.owners_of([rec.pk for rec in records])
        report_url = url_maker("reports:detail")
        rec_url = url_maker("recommendations:detail")
        owner_url = url_maker("recommendations:owner")
        dates = functools.cache(format_partial_date)
        default = escape(self.default)

        def owner_links(rec):
            return ", ".join(f'<a href="{owner_url(o.slug)}">{escape(o.name)}</a>' for o in owners.get(rec.pk, ()))

        cell = {
            "report": lambda rec: f'<a href="{report_url(rec.report.slug)}">{escape(rec.report.short_title)}</a>',
            "number": lambda rec: rec.number,
            "text": lambda rec: f'<a href="{rec_url(rec.pk)}">{escape(excerpt(rec.text))}</a>',
            "owners": owner_links,
            "theme": lambda rec: escape(rec.theme) if rec.theme else default,
            "status": lambda rec: rag_tag_html(rec.status),
            "status_date": lambda rec: (
                escape(dates(rec.status_date, rec.status_date_precision)) if rec.status_date else default
            ),
            "update_count": lambda rec: rec.update_count,
        }
        columns = [(cell[column.name], column.attrs["td"].as_html()) for column in self.columns]
        rows = (
            '<tr class="{}">{}</tr>'.format(
                "odd" if index % 2 else "even", "".join(f"<td {attrs}>{render(rec)}</td>" for render, attrs in columns)
            )
            for index, rec in enumerate(records)
        )
        return mark_safe("\n".join(rows))  # noqa: S308  # nosec - every value escaped above

    def order_owners(self, queryset, is_descending):
        first_owner = Subquery(
            OwnerLink.objects.filter(recommendation_id=OuterRef("pk")).order_by("owner__name").values("owner__name")[:1]
        )
        queryset = queryset.annotate(first_owner=first_owner).order_by(
            "-first_owner" if is_descending else "first_owner", "pk"
        )
        return queryset, True

    def value_status(self, record):
        return record.status_label
