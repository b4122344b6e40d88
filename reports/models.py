from django.db import models
from django.urls import reverse

from tracker.dates import DatePrecision, format_partial_date


class Publisher(models.Model):
    """A body that issues publications (Accounts Commission, a CPP, ...)."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportKind(models.TextChoices):
    PERFORMANCE_AUDIT = "performance_audit", "Performance audit"
    PROGRESS_SUMMARY = "progress_summary", "Progress summary"
    IMPACT_REPORT = "impact_report", "Impact report"
    POLICY_STATEMENT = "policy_statement", "Policy statement"
    LOCAL_RESPONSE = "local_response", "Local response"


class Report(models.Model):
    """A publication: an audit report, a progress summary, a local response ..."""

    Kind = ReportKind

    title = models.CharField(max_length=300)
    short_title = models.CharField(max_length=120, help_text="Used in tables, e.g. “Impact report (2018)”.")
    slug = models.SlugField(max_length=120, unique=True)
    published = models.DateField(help_text="For a month or year only, the first day of that period.")
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    publishers = models.ManyToManyField(Publisher, related_name="reports")
    url = models.URLField("official URL", blank=True)
    summary = models.TextField(blank=True)
    follows_up = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_up_by",
        help_text="The earlier publication this one follows up.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ReportKind.values), name="report_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(published_precision__in=DatePrecision.values),
                name="report_published_precision_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(follows_up=models.F("pk")), name="report_not_follow_up_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.short_title or self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.slug])

    @property
    def published_display(self) -> str:
        return format_partial_date(self.published, self.published_precision)
