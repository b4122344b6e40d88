import django_tables2 as tables
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from recommendations.models import Recommendation
from tracker.dates import format_partial_date
from tracker.richtext import plain
from tracker.templatetags.tracker_tags import rag_tag_html

OwnerLink = Recommendation.owners.through


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
        return format_html(
            '<a href="{}">{}</a>', record.get_absolute_url(), Truncator(plain(value).replace("\n- ", " – ")).chars(200)
        )

    def render_owners(self, record):
        return format_html_join(
            ", ", '<a href="{}">{}</a>', ((o.get_absolute_url(), o.name) for o in record.owners.all())
        )

    def render_status(self, value):
        return rag_tag_html(value)

    def render_status_date(self, value, record):
        return format_partial_date(value, record.status_date_precision)

    def body_html(self):
        """The page's rows in one pass, calling the render methods above directly. The same
        HTML as django-tables2's cell-by-cell rendering, which inspected each method's
        signature for every cell: 45 % of the table page's time at 25 rows (BENCHMARKS.md).
        Columns, their order and their <td> attributes still come from the table."""
        cell = {
            "report": lambda rec: format_html(
                '<a href="{}">{}</a>', rec.report.get_absolute_url(), rec.report.short_title
            ),
            "number": lambda rec: rec.number,
            "text": lambda rec: self.render_text(rec.text, rec),
            "owners": self.render_owners,
            "theme": lambda rec: rec.theme or self.default,
            "status": lambda rec: self.render_status(rec.status),
            "status_date": lambda rec: (
                self.render_status_date(rec.status_date, rec) if rec.status_date else self.default
            ),
            "update_count": lambda rec: rec.update_count,
        }
        columns = [(cell[column.name], column.attrs["td"].as_html()) for column in self.columns]
        rows = []
        for index, row in enumerate(self.paginated_rows):
            rec = row.record
            rows.append(
                format_html(
                    '<tr class="{}">{}</tr>',
                    "odd" if index % 2 else "even",
                    format_html_join("", "<td {}>{}</td>", ((attrs, render(rec)) for render, attrs in columns)),
                )
            )
        return mark_safe("\n".join(rows))  # noqa: S308  # nosec - every row built by format_html

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
