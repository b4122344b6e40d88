from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from recommendations.admin_import import TrackerImportExportMixin
from recommendations.models import (
    Acceptance,
    AuditDimension,
    ClosureEvent,
    Owner,
    ProgressUpdate,
    RatingDefinition,
    Recommendation,
    RecommendationLink,
    Response,
    ResponseFile,
    Status,
)
from recommendations.resources import (
    ProgressUpdateResource,
    RecommendationLinkResource,
    RecommendationResource,
    ResponseResource,
)
from recommendations.services import progress_update_create, recommendation_link_create, recommendations_carry_forward
from reports.models import Report
from tracker.richtext import plain


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "abbreviation", "council_area", "all_cpps"]
    list_filter = ["kind", "all_cpps"]
    search_fields = ["name", "abbreviation", "former_names", "council_area"]
    prepopulated_fields = {"slug": ["name"]}
    # No two-box "filter horizontal" widgets: they put ARIA labels on plain spans (axe: serious).


class OrganisationInline(admin.StackedInline):
    """An officer's organisations, on the user's own page: making someone an officer took two
    pages (the group here, then the organisation on Owners), and nothing said so."""

    model = Owner.officers.through
    extra = 1
    verbose_name = "organisation"
    verbose_name_plural = "Organisations (an officer sees the recommendations addressed to these)"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    """The user's page with their organisations, and roles as checkboxes: the two-box
    "filter horizontal" widgets put ARIA labels on plain spans (axe: serious)."""

    inlines = [*UserAdmin.inlines, OrganisationInline]
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")  # set by Django; their split inputs had no labels

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["help_text"] = "Auditor, Officer or Admin. An officer also needs an organisation (below)."
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AuditDimension)
class AuditDimensionAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class RecommendationInline(admin.StackedInline):
    """Recommendations of a report, edited on the report's page."""

    model = Recommendation
    extra = 0
    fields = ["number", "theme", "text", "owners", "audit_dimensions", "carries_forward"]
    autocomplete_fields = ["owners", "carries_forward"]
    ordering = ["number"]
    show_change_link = True

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 4, "cols": 90})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ProgressUpdateInline(admin.TabularInline):
    """Progress history on a recommendation's page: read-only, newest first."""

    model = ProgressUpdate
    fk_name = "recommendation"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["assessed", "rag", "part", "summary_excerpt", "evidence_refs", "published_in", "concerns", "author"]
    readonly_fields = fields
    ordering = ["-assessed_on", "-created", "-id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_in", "concerns", "author")

    @admin.display(description="Date assessed")
    def assessed(self, obj):
        return obj.assessed_display

    @admin.display(description="Summary")
    def summary_excerpt(self, obj):
        return Truncator(plain(obj.summary)).chars(240)

    @admin.display(description="Evidence")
    def evidence_refs(self, obj):
        return "; ".join(obj.evidence_display)


class StatusFilter(admin.SimpleListFilter):
    title = "current status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class ThemeFilter(admin.SimpleListFilter):
    """By theme, with a name for "no theme" (Django's own filter made it an empty link)."""

    title = "theme"
    parameter_name = "theme"

    def lookups(self, request, model_admin):
        themes = Recommendation.objects.order_by("theme").values_list("theme", flat=True).distinct()
        return [(theme or "-", theme or "No theme") for theme in themes]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(theme="" if self.value() == "-" else self.value())
        return queryset


class CarryForwardForm(forms.Form):
    into = forms.ModelChoiceField(
        Report.objects.order_by("-published", "title"),
        label="Carry forward into",
        help_text="The later report that repeats these recommendations. Each becomes a new recommendation "
        "of that report, numbered after its last, linked back to the original.",
    )


@admin.register(Recommendation)
class RecommendationAdmin(TrackerImportExportMixin, admin.ModelAdmin):
    list_display = ["__str__", "excerpt", "owners_list", "status_display", "last_assessed", "update_count"]
    list_display_links = ["__str__", "excerpt"]
    list_filter = [StatusFilter, "report", "owners__kind", "audit_dimensions", ThemeFilter]
    search_fields = ["text", "theme", "report__title", "owners__name"]
    autocomplete_fields = ["report", "owners", "carries_forward"]
    readonly_fields = ["status_display", "last_assessed", "update_count"]
    fieldsets = [
        (None, {"fields": ["report", "number", "theme", "text"]}),
        ("Addressed to", {"fields": ["owners", "audit_dimensions", "carries_forward"]}),
        (
            "Current status (from the latest progress update)",
            {"fields": ["status_display", "last_assessed", "update_count"]},
        ),
    ]
    inlines = [ProgressUpdateInline]
    list_select_related = ["report"]
    resource_classes = [RecommendationResource]
    actions = ["carry_forward"]

    @admin.action(description="Carry selected recommendations forward into a later report", permissions=["add"])
    def carry_forward(self, request, queryset):
        """Asks for the later report on a page of its own, then creates the linked copies."""
        queryset = queryset.select_related("report").order_by("report__published", "report__title", "number")
        form = CarryForwardForm(request.POST if "into" in request.POST else None)
        if form.is_valid():
            try:
                created = recommendations_carry_forward(recommendations=list(queryset), into=form.cleaned_data["into"])
            except ValidationError as exc:
                form.add_error("into", exc.messages)
            else:
                for new in created:
                    self.log_addition(request, new, [{"added": {}}])
                skipped = queryset.count() - len(created)
                into = form.cleaned_data["into"]
                message = f"Carried {len(created)} recommendation{pluralize(len(created))} forward into {into}."
                if skipped:
                    message += f" {skipped} had been carried into it already and were left as they were."
                self.message_user(request, message, messages.SUCCESS)
                return None
        return TemplateResponse(
            request,
            "admin/recommendations/carry_forward.html",
            {
                **self.admin_site.each_context(request),
                "title": "Carry recommendations forward",
                "opts": self.opts,
                "form": form,
                "recommendations": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("owners", queryset=Owner.objects.only("id", "name")))
        )

    @admin.display(description="Recommendation")
    def excerpt(self, obj):
        return Truncator(plain(obj.text)).chars(120)

    @admin.display(description="Owners")
    def owners_list(self, obj):
        return ", ".join(o.name for o in obj.owners.all())

    @admin.display(description="Current status", ordering="status")
    def status_display(self, obj):
        return obj.status_label

    @admin.display(description="Last assessed", ordering="status_date")
    def last_assessed(self, obj):
        return obj.status_date_display or "—"


class ProgressUpdateAdminForm(forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        fields = [
            "recommendation",
            "assessed_on",
            "assessed_precision",
            "rag",
            "part",
            "summary",
            "evidence",
            "published_in",
            "concerns",
            "corrects",
        ]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(TrackerImportExportMixin, admin.ModelAdmin):
    """History is append-only: updates can be added (through the service) and viewed, never changed or deleted."""

    form = ProgressUpdateAdminForm
    list_display = ["recommendation", "assessed", "rag", "part", "published_in", "concerns", "author", "created"]
    list_filter = ["rag", "published_in", "concerns", ("assessed_on", admin.DateFieldListFilter)]
    search_fields = ["summary", "part", "recommendation__text"]
    autocomplete_fields = ["recommendation", "published_in", "concerns", "corrects"]
    list_select_related = ["recommendation__report", "published_in", "concerns", "author"]
    date_hierarchy = "assessed_on"
    resource_classes = [ProgressUpdateResource]

    def has_change_permission(self, request, obj=None):
        # The change view is shown read-only: history is never rewritten.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Date assessed", ordering="assessed_on")
    def assessed(self, obj):
        return obj.assessed_display

    def save_model(self, request, obj, form, change):
        created = progress_update_create(
            recommendation=obj.recommendation,
            rag=obj.rag,
            summary=obj.summary,
            assessed_on=obj.assessed_on,
            assessed_precision=obj.assessed_precision,
            evidence=obj.evidence or [],
            part=obj.part,
            published_in=obj.published_in,
            concerns=obj.concerns,
            corrects=obj.corrects,
            author=request.user,
        )
        obj.pk = created.pk
        obj.author = created.author
        obj.created = created.created


@admin.register(RecommendationLink)
class RecommendationLinkAdmin(TrackerImportExportMixin, admin.ModelAdmin):
    """Typed links between recommendations (#20): added one by one here, by file (import), or by
    the recommendations' "carry forward" action (a "repeats" link to each copy). Added through
    the service; a link is removed rather than changed."""

    list_display = ["later", "kind", "earlier", "note", "created"]
    list_filter = ["kind"]
    search_fields = ["later__text", "earlier__text", "later__report__title", "earlier__report__title", "note"]
    autocomplete_fields = ["later", "earlier"]
    fields = ["later", "kind", "earlier", "note"]
    list_select_related = ["later__report", "earlier__report"]
    resource_classes = [RecommendationLinkResource]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = recommendation_link_create(
            earlier=obj.earlier, later=obj.later, kind=obj.kind, note=obj.note, author=request.user
        )
        obj.pk, obj.created = created.pk, created.created


class _AppendOnlyAdmin(admin.ModelAdmin):
    """Facts that happened: recorded on the recommendation's page, shown here, never changed."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ResponseFileInline(admin.TabularInline):
    model = ResponseFile
    fields = ["name", "kind", "size", "created"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(TrackerImportExportMixin, admin.ModelAdmin):
    """Organisations' responses: recorded by their officers (or imported here), never changed
    or deleted. Evidence files are served by the site, to those who may see the response."""

    list_display = ["recommendation", "organisation", "progress", "responded", "author", "created"]
    list_filter = ["progress", "organisation"]
    search_fields = ["text", "recommendation__text", "organisation__name"]
    list_select_related = ["recommendation__report", "organisation", "author"]
    readonly_fields = [
        "recommendation",
        "organisation",
        "progress",
        "text",
        "evidence",
        "responded_on",
        "responded_precision",
        "published_in",
        "author",
        "source_key",
        "created",
    ]
    inlines = [ResponseFileInline]
    resource_classes = [ResponseResource]

    def has_add_permission(self, request):
        return False  # officers respond from the recommendation's page; admins import

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Date of the response", ordering="responded_on")
    def responded(self, obj):
        return obj.responded_display


@admin.register(ClosureEvent)
class ClosureEventAdmin(_AppendOnlyAdmin):
    list_display = ["recommendation", "action", "reason", "owner", "effective_on", "author", "created"]
    list_filter = ["action", "reason"]
    list_select_related = ["recommendation__report", "owner", "author"]


@admin.register(Acceptance)
class AcceptanceAdmin(_AppendOnlyAdmin):
    list_display = ["recommendation", "owner", "decision", "responded_on", "is_current", "author"]
    list_filter = ["decision", "is_current"]
    list_select_related = ["recommendation__report", "owner", "author"]


@admin.register(RatingDefinition)
class RatingDefinitionAdmin(admin.ModelAdmin):
    """What Red, Amber, Green, Not rated and each response progress value mean: shown as a
    legend wherever ratings appear. The set of keys is fixed; their wording is the admins'."""

    list_display = ["label", "definition", "position"]
    fields = ["label", "definition", "position"]
    ordering = ["position"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
