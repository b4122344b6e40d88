"""The recommendation table's filters. Every value lives in the query string, by slug,
so a link reproduces the view (``?owner=cosla&status=amber&year_from=2013``)."""

import functools
import re

import django_filters
from django import forms
from django.conf import settings
from django.db import connection
from django.db.models import Exists, Expression, F, OuterRef, Q

from recommendations import choice_lists
from recommendations.access import Scope
from recommendations.models import (
    Acceptance,
    AcceptanceDecision,
    AddresseeStatus,
    AuditDimension,
    ClosureReason,
    LinkKind,
    Owner,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    Status,
)
from reports.models import Report
from tracker.forms import DesignSystemForm, UKDateField
from tracker.inputs import EARLIEST_YEAR, LATEST_YEAR, validate_date_in_range

OwnerLink = Recommendation.owners.through
DimensionLink = Recommendation.audit_dimensions.through


def _report_choices():
    """Reports that have recommendations, newest first (a lazy queryset: slice it). An EXISTS
    per report on the report_id index: a DISTINCT join read every recommendation (90 ms at 100,000)."""
    has_recommendations = Exists(Recommendation.objects.filter(report_id=OuterRef("pk")))
    return Report.objects.filter(has_recommendations).values_list("slug", "short_title")


def _owner_choices():
    """Owners grouped by kind, for an <optgroup> per kind."""
    groups: dict[str, list] = {}
    labels = dict(Owner.Kind.choices)
    for kind, slug, name in Owner.objects.order_by("kind", "-all_cpps", "name").values_list("kind", "slug", "name"):
        groups.setdefault(labels[kind], []).append((slug, name))
    order = [kind.label for kind in Owner.Kind]
    return sorted(groups.items(), key=lambda item: order.index(item[0]))


def _theme_choices():
    """The distinct themes, in order. A loose index scan (one index probe per theme, on
    the theme index where there is one): SELECT DISTINCT read every recommendation
    (90 ms at 100,000)."""
    table = connection.ops.quote_name(Recommendation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The only interpolation is the quoted table name; there is no input.
            f"WITH RECURSIVE themes(theme) AS (SELECT MIN(theme) FROM {table} WHERE theme > '' UNION ALL "  # noqa: S608  # nosec
            f"SELECT (SELECT MIN(theme) FROM {table} WHERE theme > themes.theme) FROM themes "
            "WHERE themes.theme IS NOT NULL) SELECT theme FROM themes WHERE theme IS NOT NULL"
        )
        return [(theme, theme) for (theme,) in cursor.fetchall()]


def _dimension_choices():
    return [(d.slug, d.name) for d in AuditDimension.objects.all()]


STATUS_CHOICES = [(s.slug, s.label) for s in Status]
CLOSURE_CHOICES = [
    ("open", "Open"),
    ("closed", "Closed (any reason)"),
    *((f"closed-{reason.slug}", f"Closed: {reason.label.lower()}") for reason in ClosureReason),
]
_CLOSURE_BY_SLUG = {f"closed-{reason.slug}": reason.value for reason in ClosureReason}
ACCEPTANCE_CHOICES = [*((d.slug, d.label) for d in AcceptanceDecision), ("none", "No response recorded")]
_DECISION_BY_SLUG = {d.slug: d.value for d in AcceptanceDecision}


class StoredDocument(Expression):
    """A recommendation's stored full-text document (PostgreSQL only: the generated column
    ``search_document`` of migration 0005, outside the model state), under whatever alias
    the query gives the recommendation table (a subquery calls it U0)."""

    def __init__(self, pk=None):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.pk = pk if pk is not None else F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(self.pk.alias)
        return f"{table}.{connection.ops.quote_name('search_document')}", []


def text_search(queryset, query: str, *, scope: Scope):
    """Search recommendation text, the progress summaries and the organisations' responses
    ``scope`` may see (another
    organisation's local response is not searched for an officer: its words would give
    it away).

    Web-search syntax on both databases: every word must appear, "quoted phrases"
    as phrases. PostgreSQL: full-text search (English stemming, stop words
    ignored) ranked by relevance. SQLite: case-insensitive containment per term,
    in table order."""
    query = query.strip()
    if not query:
        return queryset
    summaries = scope.summaries(ProgressUpdate.objects.all())
    responses = scope.responses(Response.objects.all())  # an organisation's words are its own (#19)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        # One IN (a UNION of two GIN index lookups, migrations 0004 and 0005), probed by
        # primary key: an EXISTS per row would compute every summary's tsvector, and an OR
        # of two IN subqueries reads every recommendation. Ranking reads the stored
        # document rather than computing one per match (BENCHMARKS.md has the figures).
        search = SearchQuery(query, search_type="websearch", config="english")
        in_text = Recommendation.objects.annotate(document=StoredDocument()).filter(document=search)
        in_updates = summaries.annotate(document=SearchVector("summary", config="english")).filter(document=search)
        in_responses = responses.annotate(document=SearchVector("text", config="english")).filter(document=search)
        matches = (
            in_text.order_by()
            .values("pk")
            .union(
                in_updates.order_by().values("recommendation_id"), in_responses.order_by().values("recommendation_id")
            )
        )
        return queryset.filter(pk__in=matches).annotate(rank=SearchRank(StoredDocument(), search))
    for term in _terms(query):
        in_updates = Exists(summaries.filter(recommendation_id=OuterRef("pk"), summary__icontains=term))
        in_responses = Exists(responses.filter(recommendation_id=OuterRef("pk"), text__icontains=term))
        queryset = queryset.filter(Q(text__icontains=term) | Q(theme__icontains=term) | in_updates | in_responses)
    return queryset


def _terms(query: str) -> list[str]:
    """'a "b c" d' -> ["a", "b c", "d"] (at most 10 terms)."""
    terms = [phrase or word for phrase, word in re.findall(r'"([^"]+)"|(\S+)', query)]
    return [t.strip('"') for t in terms if t.strip('"')][:10]


class YearFilter(django_filters.NumberFilter):
    """A whole year in the range the tracker knows: a year lookup turns the year into
    dates, and a year such as 0 or 20160101 has none (a 500 before issue #17)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", EARLIEST_YEAR)
        kwargs.setdefault("max_value", LATEST_YEAR)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric"}))
        super().__init__(*args, **kwargs)


class UKDateFilter(django_filters.DateFilter):
    """A date typed dd/mm/yyyy (ISO dates in shared links still read)."""

    field_class = UKDateField


class FilterForm(DesignSystemForm):
    """A filter panel's form: SGDS's smaller radios and checkboxes."""

    small_controls = True


FOLLOW_UP_CHOICES = [
    ("disagree", "Response and rating disagree"),
    ("awaiting", "Response awaiting assessment"),
]
FOLLOW_UP_FLAGS = {"disagree": "disagrees", "awaiting": "awaiting_assessment"}


class RecommendationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search text and progress", method="filter_q")
    report = django_filters.MultipleChoiceFilter(
        label="Report", choices=_report_choices, field_name="report__slug", widget=forms.CheckboxSelectMultiple
    )
    year_from = YearFilter(label="Published from (year)", field_name="report__published__year", lookup_expr="gte")
    year_to = YearFilter(label="Published to (year)", field_name="report__published__year", lookup_expr="lte")
    owner = django_filters.MultipleChoiceFilter(
        label="Addressed to", choices=_owner_choices, method="filter_owner", widget=forms.CheckboxSelectMultiple
    )
    owner_kind = django_filters.MultipleChoiceFilter(
        label="Kind of organisation",
        choices=Owner.Kind.choices,
        method="filter_owner_kind",
        widget=forms.CheckboxSelectMultiple,
    )
    theme = django_filters.ChoiceFilter(label="Theme", choices=_theme_choices, empty_label="Any theme")
    status = django_filters.MultipleChoiceFilter(
        label="Current status", choices=STATUS_CHOICES, method="filter_status", widget=forms.CheckboxSelectMultiple
    )
    follow_up = django_filters.MultipleChoiceFilter(
        label="Follow-up",
        choices=FOLLOW_UP_CHOICES,
        method="filter_follow_up",
        widget=forms.CheckboxSelectMultiple,
        help_text="An organisation's latest response, beside the auditor's rating for it.",
    )
    dimension = django_filters.MultipleChoiceFilter(
        label="Audit dimension",
        choices=_dimension_choices,
        method="filter_dimension",
        widget=forms.CheckboxSelectMultiple,
    )
    not_assessed_since = UKDateFilter(
        label="Not assessed since",
        method="filter_not_assessed_since",
        help_text="Includes recommendations never assessed.",
        validators=[validate_date_in_range],
    )

    closure = django_filters.ChoiceFilter(
        label="Open or closed",
        choices=CLOSURE_CHOICES,
        empty_label="Open and closed",
        method="filter_closure",
    )
    acceptance = django_filters.MultipleChoiceFilter(
        label="Response of an addressee",
        choices=ACCEPTANCE_CHOICES,
        method="filter_acceptance",
        widget=forms.CheckboxSelectMultiple,
    )
    repeats = django_filters.BooleanFilter(
        label="Repeats an earlier recommendation",
        method="filter_repeats",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Recommendation
        fields: list[str] = []
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, scope: Scope, **kwargs):
        """``scope``: what the viewer may see, which bounds what search matches and the
        choices offered (an officer is not shown the themes of recommendations they cannot see)."""
        self.scope = scope
        super().__init__(data, queryset, **kwargs)

    @property
    def form(self):
        """Choices are settled when the form is first built (a view may drop a filter before
        then): a callable's choices were fetched again every time they were read, once to
        validate a chosen value and once more to render. The lists are kept in the cache under
        the data version (recommendations.choice_lists): no query while the data are unchanged.
        The report list is at most TRACKER_REPORT_CHOICES_MAX + 1 reports."""
        if not hasattr(self, "_form"):
            for name, choices in (
                ("owner", _owner_choices),
                ("theme", _theme_choices),
                ("dimension", _dimension_choices),
            ):
                if name in self.filters:  # fetched when first read, then kept for this form
                    self.filters[name].extra["choices"] = functools.cache(
                        functools.partial(choice_lists.get, name, choices)
                    )
            if "theme" in self.filters and not self.scope.everything:
                # Only the themes of what this viewer may see: the others' would name them.
                visible = self.scope.recommendations(Recommendation.objects.exclude(theme=""))
                themes = visible.order_by("theme").values_list("theme", flat=True).distinct()
                build = functools.partial(choice_lists.get, f"theme:{self.scope.key}", lambda: [(t, t) for t in themes])
                self.filters["theme"].extra["choices"] = functools.cache(build)
            if "report" in self.filters:
                limit = settings.TRACKER_REPORT_CHOICES_MAX
                reports = choice_lists.get("report", lambda: list(_report_choices()[: limit + 1]))
                if len(reports) > limit:
                    self._report_by_title(self.data)
                else:
                    self.filters["report"].extra["choices"] = list(reports)
        return super().form

    def _report_by_title(self, data) -> None:
        """With more reports than a list can usefully hold (4,000 at the benchmark's scale: 285 KB
        of options on every table page, 15 ms to render), the report list offers only the reports
        already chosen (shared links keep working), and a "Report title contains" box finds the rest."""
        chosen = data.getlist("report") if hasattr(data, "getlist") else []
        report = self.filters["report"]
        report.extra["choices"] = list(Report.objects.filter(slug__in=chosen[:50]).values_list("slug", "short_title"))
        report.extra["help_text"] = "Reports already chosen; use “Report title contains” to find others."
        by_title = django_filters.CharFilter(
            label="Report title contains", field_name="report__title", lookup_expr="icontains"
        )
        by_title.parent, by_title.model = self, self._meta.model
        filters = list(self.filters.items())
        at = [name for name, _ in filters].index("report") + 1
        self.filters = dict([*filters[:at], ("report_title", by_title), *filters[at:]])

    def filter_q(self, queryset, name, value):
        return text_search(queryset, value, scope=self.scope)

    def filter_owner(self, queryset, name, value):
        return queryset.addressed_to_slugs(value) if value else queryset

    def filter_owner_kind(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(OwnerLink.objects.filter(recommendation_id=OuterRef("pk"), owner__kind__in=value))
        )

    def filter_status(self, queryset, name, value):
        """The national status; with organisations chosen, each one's own status (its own
        rating where one concerns it, else the national one)."""
        if not value:
            return queryset
        statuses = [Status.from_slug(v) for v in value]
        chosen = self.form.cleaned_data.get("owner") or []
        if not chosen:
            return queryset.filter(status__in=statuses)
        organisations = Owner.objects.filter(slug__in=chosen, all_cpps=False).values("pk")
        own = AddresseeStatus.objects.filter(
            recommendation_id=OuterRef("pk"), organisation__in=organisations, status__isnull=False
        )
        return queryset.filter(Exists(own.filter(status__in=statuses)) | (Q(status__in=statuses) & ~Exists(own)))

    def filter_follow_up(self, queryset, name, value):
        """Recommendations where an organisation's response, that this viewer may see, is
        flagged (services.response_flags), as an EXISTS on a partial index."""
        if not value:
            return queryset
        flags = Q()
        for flag in value:
            flags |= Q(**{FOLLOW_UP_FLAGS[flag]: True})
        rows = self.scope.responses(AddresseeStatus.objects.filter(flags, recommendation_id=OuterRef("pk")))
        return queryset.filter(Exists(rows))

    def filter_dimension(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(DimensionLink.objects.filter(recommendation_id=OuterRef("pk"), auditdimension__slug__in=value))
        )

    def filter_not_assessed_since(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(status_date__lt=value) | Q(status_date__isnull=True))

    def filter_closure(self, queryset, name, value):
        if value == "open":
            return queryset.filter(closed_reason="")
        if value == "closed":
            return queryset.exclude(closed_reason="")
        if value in _CLOSURE_BY_SLUG:
            return queryset.filter(closed_reason=_CLOSURE_BY_SLUG[value])
        return queryset

    def filter_repeats(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(RecommendationLink.objects.filter(later_id=OuterRef("pk"), kind=LinkKind.REPEATS))
        )

    def filter_acceptance(self, queryset, name, value):
        """Any addressee's current response is one of these ("none": some addressee has none
        yet). An officer's filter reads only their own organisations' responses."""
        if not value:
            return queryset
        current = Acceptance.objects.filter(recommendation_id=OuterRef("pk"), is_current=True)
        if not self.scope.everything:
            current = current.filter(owner_id__in=self.scope.organisation_ids)
        condition = Q(pk__in=[])
        decisions = [_DECISION_BY_SLUG[v] for v in value if v in _DECISION_BY_SLUG]
        if decisions:
            condition |= Q(Exists(current.filter(decision__in=decisions)))
        if "none" in value:
            addressees = OwnerLink.objects.filter(recommendation_id=OuterRef("pk"))
            if not self.scope.everything:
                addressees = addressees.filter(owner_id__in=self.scope.organisation_ids)
            answered = Acceptance.objects.filter(
                recommendation_id=OuterRef("recommendation_id"), owner_id=OuterRef("owner_id"), is_current=True
            )
            condition |= Q(Exists(addressees.filter(~Exists(answered))))
        return queryset.filter(condition)
