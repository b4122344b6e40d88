from django.contrib import admin
from django.db import models

from recommendations.admin import RecommendationInline
from reports.models import Publisher, Report


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["short_title", "published", "kind", "publisher_names", "recommendation_total"]
    list_filter = ["kind", "publishers", ("published", admin.DateFieldListFilter)]
    search_fields = ["title", "short_title", "summary"]
    prepopulated_fields = {"slug": ["short_title"]}
    autocomplete_fields = ["follows_up"]
    filter_horizontal = ["publishers"]
    date_hierarchy = "published"
    inlines = [RecommendationInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "short_title", "slug", "kind", "publishers"]}),
        ("Publication", {"fields": ["published", "published_precision", "url", "follows_up", "summary"]}),
    ]

    def get_queryset(self, request):
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .prefetch_related("publishers")
            .annotate(_recommendation_total=Count("recommendations", distinct=True))
        )

    @admin.display(description="Publishers")
    def publisher_names(self, obj):
        return ", ".join(p.name for p in obj.publishers.all())

    @admin.display(description="Recommendations", ordering="_recommendation_total")
    def recommendation_total(self, obj):
        return obj._recommendation_total
