import datetime
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone

from tracker.dates import DatePrecision, add_months, format_partial_date, period_end, period_start
from tracker.richtext import RichTextField


class Status(models.IntegerChoices):
    """RAG status, numbered in order of severity so that sorting by it is meaningful.

    A progress update carries one of the first four; a recommendation's current
    status is its latest update's rating, or NEVER_ASSESSED when it has none.
    """

    RED = 1, "Red"
    AMBER = 2, "Amber"
    GREEN = 3, "Green"
    NOT_RATED = 4, "Not rated"
    NEVER_ASSESSED = 5, "Never assessed"

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, value: str) -> "Status":
        return cls[value.strip().upper().replace("-", "_").replace(" ", "_")]


def round_rating(rags) -> int:
    """The rating of an assessment round: the worst of its parts' ratings (Red < Amber <
    Green); "Not rated" only when no part is rated."""
    rated = [rag for rag in rags if rag != Status.NOT_RATED]
    return min(rated) if rated else Status.NOT_RATED


RATINGS = [Status.RED, Status.AMBER, Status.GREEN, Status.NOT_RATED]
RATING_VALUES = [s.value for s in RATINGS]


class OwnerKind(models.TextChoices):
    NATIONAL_GOVERNMENT = "national_government", "National government"
    LOCAL_GOVERNMENT_BODY = "local_government_body", "Local government body"
    IMPROVEMENT_BODY = "improvement_body", "Improvement body"
    NATIONAL_GROUP = "national_group", "National group"
    CPP = "cpp", "Community Planning Partnership"
    OTHER_PARTNER = "other_partner", "Other partner"


class OwnerQuerySet(models.QuerySet):
    def ids_with_all_cpps(self) -> set[int]:
        """These owners' ids, plus the all-CPPs owner when any of them is a single CPP:
        a recommendation addressed to "CPPs" is addressed to each of them. 1-2 queries."""
        owners = list(self.values_list("pk", "kind", "all_cpps"))
        ids = {pk for pk, _, _ in owners}
        if any(kind == OwnerKind.CPP and not all_cpps for _, kind, all_cpps in owners):
            ids.update(Owner.objects.filter(all_cpps=True).values_list("pk", flat=True))
        return ids

    def addressees_of(self, recommendation):
        """The organisations a recommendation is addressed to, one by one: its owners, with
        every single CPP in place of the all-CPPs owner. Ordered by name; 1 query."""
        link = Recommendation.owners.through.objects.filter(recommendation_id=recommendation.pk)
        return self.filter(
            models.Q(pk__in=link.filter(owner__all_cpps=False).values("owner_id"))
            | models.Q(kind=OwnerKind.CPP, all_cpps=False) & models.Q(Exists(link.filter(owner__all_cpps=True)))
        ).order_by("name")


class Owner(models.Model):
    """An organisation a recommendation is addressed to.

    Former names are the same owner (the Scottish Executive became the Scottish
    Government in 2007). One owner, flagged ``all_cpps``, stands for every
    Community Planning Partnership: a recommendation addressed to "CPPs" is
    addressed to each of the 32.
    """

    Kind = OwnerKind

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    abbreviation = models.CharField(max_length=30, blank=True)
    former_names = models.TextField(blank=True, help_text="One per line. Matched like the current name.")
    description = models.TextField(blank=True)
    council_area = models.CharField(max_length=100, blank=True, help_text="For a single CPP.")
    all_cpps = models.BooleanField(
        "stands for all CPPs",
        default=False,
        help_text="A recommendation addressed to this owner is addressed to every CPP.",
    )
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="organisations", blank=True)

    objects = OwnerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=OwnerKind.values), name="owner_kind_valid"),
            models.UniqueConstraint(fields=["all_cpps"], condition=models.Q(all_cpps=True), name="owner_one_all_cpps"),
            models.CheckConstraint(
                condition=models.Q(all_cpps=False) | models.Q(kind="cpp"), name="owner_all_cpps_is_cpp"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("recommendations:owner", args=[self.slug])

    @property
    def former_name_list(self) -> list[str]:
        return [line.strip() for line in self.former_names.splitlines() if line.strip()]

    def clean(self) -> None:
        if self.all_cpps and self.kind != self.Kind.CPP:
            raise ValidationError({"all_cpps": "Only a Community Planning Partnership owner can stand for all CPPs."})


class AuditDimension(models.Model):
    """One of the audit dimensions of the Code of Audit Practice."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class RecommendationQuerySet(models.QuerySet):
    def for_report(self, report):
        return self.filter(report=report)

    def with_owners(self):
        return self.prefetch_related("owners")

    def with_report(self):
        return self.select_related("report")

    def addressed_to_slugs(self, slugs):
        """Addressed to any of the owners with these slugs; choosing a CPP includes those
        addressed to all CPPs."""
        return self.addressed_to(Owner.objects.filter(slug__in=slugs).ids_with_all_cpps())

    def addressed_to(self, owner_ids):
        """Addressed to any of these owners, as an EXISTS (a DISTINCT join measured twice as slow)."""
        link = Recommendation.owners.through.objects.filter(recommendation_id=OuterRef("pk"), owner_id__in=owner_ids)
        return self.filter(Exists(link))


# Characters of owner_names the table sorts by (and its index holds).
OWNER_NAMES_SORT_PREFIX = 100


class Recommendation(models.Model):
    report = models.ForeignKey("reports.Report", on_delete=models.PROTECT, related_name="recommendations")
    number = models.PositiveIntegerField(help_text="Order within the report, from 1.")
    theme = models.CharField(max_length=200, blank=True, help_text="The section heading it sits under.")
    text = RichTextField(
        help_text="Plain text (bullets as lines starting “- ”), or simple formatting: paragraphs, lists, "
        "emphasis and http, https or mailto links. Anything else is removed."
    )
    owners = models.ManyToManyField(Owner, related_name="recommendations")
    audit_dimensions = models.ManyToManyField(AuditDimension, related_name="recommendations", blank=True)
    carries_forward = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="carried_forward_by",
        blank=True,
        help_text="Earlier recommendations this one carries forward.",
    )

    # Current status: denormalised from the latest progress update by
    # recommendations.services (the only writer), so that tables filter and
    # sort on it without a per-row subquery.
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.NEVER_ASSESSED, editable=False)
    status_date = models.DateField(null=True, blank=True, editable=False)
    status_date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY, editable=False
    )
    update_count = models.PositiveIntegerField(default=0, editable=False)
    # The earliest update's date assessed (empty if never assessed): with the updates'
    # superseded_on it gives the status of every recommendation as at any date in two
    # indexed scans, without reading each one's history (selectors.status_counts_as_at).
    first_assessed_on = models.DateField(null=True, blank=True, editable=False)
    # Its owners' names, sorted and joined with "; ": what exports print and the table sorts
    # "Addressed to" by. Kept in step with the owners by recommendations.owner_names.
    owner_names = models.TextField(blank=True, default="", editable=False)
    # Closed for every addressee (ClosureEvent): the latest closure's reason and date, or
    # empty while open. Denormalised by services.closure_event_create, the only writer, so
    # that tables filter "open" without a per-row subquery.
    closed_reason = models.CharField(max_length=20, blank=True, default="", db_default="", editable=False)
    closed_on = models.DateField(null=True, blank=True, editable=False)

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["report__published", "report__title", "number"]
        # Checked by the admin's import (IMPORT_EXPORT_IMPORT_PERMISSION_CODE).
        permissions = [("import_recommendation", "Can import recommendations from a file")]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="recommendation_unique_number_per_report"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="recommendation_number_positive"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="recommendation_status_valid"),
            models.CheckConstraint(
                condition=(
                    models.Q(status=Status.NEVER_ASSESSED, status_date__isnull=True, update_count=0)
                    | (
                        ~models.Q(status=Status.NEVER_ASSESSED)
                        & models.Q(status_date__isnull=False, update_count__gte=1)
                    )
                ),
                name="recommendation_status_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "status_date"], name="rec_status_idx"),
            models.Index(fields=["status_date"], name="rec_status_date_idx"),
            models.Index(fields=["closed_reason"], name="rec_closed_reason_idx"),
            # Not yet assessed on a date (selectors.status_counts_as_at), read from the index alone.
            models.Index(fields=["first_assessed_on"], include=["report"], name="rec_first_assessed_idx"),
            # The table sorted by "Addressed to" (RecommendationTable.order_owners): a prefix, as
            # a B-tree entry has a size limit and a long list of owners could pass it.
            models.Index(Left("owner_names", OWNER_NAMES_SORT_PREFIX), "id", name="rec_owner_names_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.report} – recommendation {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("recommendations:detail", args=[self.pk])

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def status_date_display(self) -> str:
        return format_partial_date(self.status_date, self.status_date_precision)

    @property
    def is_open(self) -> bool:
        return not self.closed_reason

    @property
    def closed_reason_label(self) -> str:
        return ClosureReason(self.closed_reason).label if self.closed_reason else ""

    def clean(self) -> None:
        if self.text and not self.text.strip():
            raise ValidationError({"text": "The recommendation text cannot be blank."})


class EvidenceReferences(models.Model):
    """Evidence references ("Paragraph 23, page 14") kept as structured data."""

    evidence = models.JSONField(
        "evidence references",
        default=list,
        blank=True,
        help_text='A list of {"section": "", "paragraphs": ["23"], "page": 14}.',
    )

    class Meta:
        abstract = True

    @property
    def evidence_display(self) -> list[str]:
        return [format_evidence(ref) for ref in self.evidence or []]

    def evidence_errors(self) -> dict:
        try:
            validate_evidence(self.evidence)
        except ValidationError as exc:
            return {"evidence": exc.messages}
        return {}


class ProgressUpdate(EvidenceReferences):
    """An assessment of progress on a recommendation. Append-only: a fact that happened.

    A correction is a new update that names the update it corrects.
    """

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="updates")
    assessed_on = models.DateField("date assessed")
    assessed_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    rag = models.PositiveSmallIntegerField(
        "RAG rating",
        choices=[(s.value, s.label) for s in RATINGS],
        help_text="“Not rated” for a narrative-only assessment.",
    )
    part = models.CharField(
        max_length=200, blank=True, help_text="The part of the recommendation this rates, when only one part."
    )
    summary = RichTextField(help_text="Plain text, or simple formatting as for a recommendation's text.")
    published_in = models.ForeignKey(
        "reports.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_updates",
        help_text="The publication this assessment was published in.",
    )
    concerns = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="local_responses",
        help_text="The organisation a local response concerns.",
    )
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="progress_updates",
        help_text="Empty for imported history.",
    )
    source_key = models.CharField(
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Stable key of a seeded or imported assessment, so loading it twice adds nothing.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    # The date assessed of the recommendation's next update in the same stream (national
    # assessments, or one organisation's local responses), in order of (date assessed,
    # created, id); empty while this is its stream's latest. An update is in force on day D when
    # assessed_on <= D and (superseded_on is empty or after D): "as at" counts for the
    # whole database are then two index ranges (selectors.status_counts_as_at). Kept by
    # services._refresh_status, the only writer besides the synthetic data generator.
    superseded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-assessed_on", "-created", "-id"]
        get_latest_by = ["assessed_on", "created", "id"]
        permissions = [("import_progressupdate", "Can import progress updates from a file")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rag__in=RATING_VALUES), name="update_rag_valid"),
            models.CheckConstraint(
                condition=models.Q(assessed_precision__in=DatePrecision.values),
                name="update_assessed_precision_valid",
            ),
            models.CheckConstraint(condition=~models.Q(corrects=models.F("pk")), name="update_not_correct_itself"),
            models.CheckConstraint(
                condition=models.Q(superseded_on__isnull=True) | models.Q(superseded_on__gte=models.F("assessed_on")),
                name="update_superseded_after_assessed",
            ),
        ]
        indexes = [
            models.Index(fields=["recommendation", "assessed_on", "created", "id"], name="update_latest_idx"),
            # The latest updates across the portfolio (selectors.latest_updates): read from the
            # index's end, where sorting a million updates was the portfolio's whole cost.
            models.Index(fields=["-assessed_on", "-created", "-id"], name="update_recent_idx"),
            # National assessments in force on a date: the scan starts from whichever end is
            # shorter (assessed by then, or superseded after); INCLUDE makes both index-only on
            # PostgreSQL. Partial: local responses never count towards anyone else's status.
            models.Index(
                fields=["assessed_on"],
                include=["superseded_on", "rag"],
                condition=models.Q(concerns__isnull=True),
                name="update_in_force_from_idx",
            ),
            models.Index(
                fields=["superseded_on"],
                include=["assessed_on", "rag"],
                condition=models.Q(concerns__isnull=True),
                name="update_in_force_until_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rag_label} on {self.assessed_display} for {self.recommendation}"

    @property
    def rag_label(self) -> str:
        return Status(self.rag).label

    @property
    def assessed_display(self) -> str:
        return format_partial_date(self.assessed_on, self.assessed_precision)

    def clean(self) -> None:
        errors = {}
        if self.summary is not None and not self.summary.strip():
            errors["summary"] = "Say what the assessment found."
        errors.update(self.evidence_errors())
        if self.assessed_on and self.recommendation_id:
            report = self.recommendation.report
            latest_possible = period_end(self.assessed_on, self.assessed_precision)
            if latest_possible < period_start(report.published, report.published_precision):
                errors["assessed_on"] = (
                    f"An assessment cannot be dated before its report was published ({report.published_display})."
                )
            if period_start(self.assessed_on, self.assessed_precision) > timezone.localdate():
                errors["assessed_on"] = "An assessment cannot be dated in the future."
        if self.corrects_id and self.recommendation_id and self.corrects.recommendation_id != self.recommendation_id:
            errors["corrects"] = "A correction must concern the same recommendation."
        if errors:
            raise ValidationError(errors)


def validate_evidence(value) -> None:
    """Evidence is a list of {"section": str, "paragraphs": [str], "page": int | None}."""
    if not isinstance(value, list):
        raise ValidationError("Evidence references must be a list.")
    for ref in value:
        if not isinstance(ref, dict) or set(ref) - {"section", "paragraphs", "page"}:
            raise ValidationError("Each evidence reference has only a section, paragraphs and a page.")
        section, paragraphs, page = ref.get("section", ""), ref.get("paragraphs", []), ref.get("page")
        if not isinstance(section, str) or not isinstance(paragraphs, list):
            raise ValidationError("An evidence reference's section is text and its paragraphs a list.")
        if not all(isinstance(p, str) and p.strip() for p in paragraphs):
            raise ValidationError("Paragraph numbers must be non-empty text.")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
            raise ValidationError("A page number must be a whole number from 1.")
        if not (section.strip() or paragraphs or page):
            raise ValidationError("An evidence reference needs a section, a paragraph or a page.")


def format_evidence(ref: dict) -> str:
    """ "Paragraphs 23 and 24, page 14", "Key message, page 10", "Page 15"."""
    parts = []
    section, paragraphs, page = ref.get("section", ""), ref.get("paragraphs", []), ref.get("page")
    if section:
        parts.append(section)
    if paragraphs:
        word = "Paragraph" if len(paragraphs) == 1 else "Paragraphs"
        joined = paragraphs[0] if len(paragraphs) == 1 else ", ".join(paragraphs[:-1]) + " and " + paragraphs[-1]
        parts.append(f"{word} {joined}" if not parts else f"{word.lower()} {joined}")
    if page:
        parts.append(f"page {page}" if parts else f"Page {page}")
    return ", ".join(parts)


_PARAGRAPHS = re.compile(r"^paragraphs?\s+(.+)$", re.IGNORECASE)
_PAGE = re.compile(r"^page\s+(\d+)$", re.IGNORECASE)


def parse_evidence(text: str) -> list[dict]:
    """ "Paragraphs 23 and 24, page 14; Key message, page 10" -> structured references.

    The inverse of format_evidence; raises ValueError naming a reference it cannot read."""
    refs = []
    for raw in (part.strip() for part in text.split(";")):
        if not raw:
            continue
        section, paragraphs, page = "", [], None
        in_paragraphs = False
        for index, part in enumerate(p.strip() for p in raw.split(",")):
            if match := _PARAGRAPHS.match(part):
                paragraphs += _split_numbers(match.group(1))
                in_paragraphs = True
            elif match := _PAGE.match(part):
                page = int(match.group(1))
                in_paragraphs = False
            elif in_paragraphs and re.fullmatch(r"[\w.]+(\s+and\s+[\w.]+)?", part):
                paragraphs += _split_numbers(part)
            elif index == 0 and re.fullmatch(r"[A-Za-z][A-Za-z ]{0,60}", part):
                section = part
            else:
                raise ValueError(f"Could not read the evidence reference {raw!r}.")
        if page is not None and page < 1:
            raise ValueError(f"Could not read the evidence reference {raw!r}.")
        refs.append({"section": section, "paragraphs": paragraphs, "page": page})
    return refs


def _split_numbers(text: str) -> list[str]:
    return [n for n in re.split(r"\s*(?:,|\band\b)\s*", text.strip()) if n]


# --- A recommendation's life: closure, links between recommendations, acceptance (#20) ---


def addressed_to_owner(recommendation: Recommendation, owner: Owner) -> bool:
    """Whether ``owner`` is an addressee: named, or a single CPP when it is addressed to all CPPs. 1 query."""
    return (
        Recommendation.objects.filter(pk=recommendation.pk)
        .addressed_to(Owner.objects.filter(pk=owner.pk).ids_with_all_cpps())
        .exists()
    )


def closure_state(events, addressee_ids) -> tuple[dict, str, "datetime.date | None"]:
    """Who a recommendation is closed for, from its closure events in order of (date,
    created, id), each with owner_id, action, reason and effective_on. An event for every
    addressee (owner empty) overrides the per-addressee events before it.

    Returns ({addressee id: its latest event or None}, reason, date): the reason and date of
    the latest closure when every addressee is closed, else ("", None)."""
    everyone, own = None, {}
    for event in events:
        if event.owner_id is None:
            everyone, own = event, {}
        else:
            own[event.owner_id] = event
    state = {owner_id: own.get(owner_id, everyone) for owner_id in addressee_ids} or {None: everyone}
    closes = [e for e in state.values() if e is not None and e.action == "close"]
    if not closes or len(closes) < len(state):
        return state, "", None
    last = max(closes, key=lambda e: (e.effective_on, e.created, e.pk or 0))
    return state, last.reason, last.effective_on


class ClosureReason(models.TextChoices):
    IMPLEMENTED = "implemented", "Implemented"
    SUPERSEDED = "superseded", "Superseded"
    NO_LONGER_RELEVANT = "no_longer_relevant", "No longer relevant"
    NOT_FOLLOWED_UP = "not_followed_up", "Not followed up"

    @property
    def slug(self) -> str:
        return self.value.replace("_", "-")


class ClosureEvent(models.Model):
    """Closing or reopening a recommendation, for every addressee (``owner`` empty) or for
    one. Append-only: a fact that happened; reopening is a new event, never an edit.

    For an addressee, the latest event concerning it or every addressee (by date, created,
    id) says whether it is closed; the recommendation is closed when every addressee is
    (kept on the recommendation by services.closure_event_create, the only writer)."""

    class Action(models.TextChoices):
        CLOSE = "close", "Closed"
        REOPEN = "reopen", "Reopened"

    Reason = ClosureReason

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="closure_events")
    owner = models.ForeignKey(
        Owner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closure_events",
        help_text="The one addressee this concerns; empty for every addressee.",
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    effective_on = models.DateField("date", help_text="For a month or year only, the first day of that period.")
    effective_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    note = models.TextField("why", help_text="Plain text: why it was closed or reopened.")
    superseded_by = models.ForeignKey(
        Recommendation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes_closures",
        help_text="The later recommendation that supersedes it.",
    )
    superseded_by_report = models.ForeignKey(
        "reports.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseding_closures",
        help_text="The later publication that supersedes it.",
    )
    superseded_by_title = models.CharField(
        max_length=300, blank=True, help_text="A superseding publication not in the tracker, by title and date."
    )
    source = models.ForeignKey(
        "reports.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closures_stated",
        help_text="The publication that states it, when taken from one.",
    )
    evidence = models.JSONField("evidence references", default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="closure_events"
    )
    source_key = models.CharField(max_length=120, unique=True, null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-effective_on", "-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(action="close", reason__in=ClosureReason.values) | models.Q(action="reopen", reason="")
                ),
                name="closure_reason_matches_action",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason="superseded")
                | models.Q(superseded_by__isnull=False)
                | models.Q(superseded_by_report__isnull=False)
                | ~models.Q(superseded_by_title=""),
                name="closure_superseded_names_what",
            ),
            models.CheckConstraint(
                condition=~models.Q(superseded_by=models.F("recommendation")), name="closure_not_superseded_by_itself"
            ),
        ]
        indexes = [models.Index(fields=["recommendation", "effective_on", "created", "id"], name="closure_order_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.effective_on} for {self.recommendation}"

    @property
    def reason_label(self) -> str:
        return ClosureReason(self.reason).label if self.reason else ""

    @property
    def effective_display(self) -> str:
        return format_partial_date(self.effective_on, self.effective_precision)

    def clean(self) -> None:
        errors = {}
        if self.note is not None and not self.note.strip():
            errors["note"] = "Say why."
        if self.action == self.Action.CLOSE and not self.reason:
            errors["reason"] = "Choose why it is closed."
        if self.action == self.Action.REOPEN and self.reason:
            errors["reason"] = "Reopening has no closure reason."
        superseding = self.superseded_by_id or self.superseded_by_report_id or self.superseded_by_title.strip()
        if self.reason == ClosureReason.SUPERSEDED and not superseding:
            errors["superseded_by"] = "Name the later recommendation or publication that supersedes it."
        if self.reason != ClosureReason.SUPERSEDED and superseding:
            errors["superseded_by"] = "Only a superseded recommendation names what supersedes it."
        try:
            validate_evidence(self.evidence)
        except ValidationError as exc:
            errors["evidence"] = exc.messages
        if self.recommendation_id and self.effective_on:
            report = self.recommendation.report
            if self.effective_on < period_start(report.published, report.published_precision):
                errors["effective_on"] = f"It cannot be dated before its report ({report.published_display})."
            if self.effective_on > timezone.localdate():
                errors["effective_on"] = "It cannot be dated in the future."
            if self.superseded_by_id:
                later = self.superseded_by.report
                if self.superseded_by_id == self.recommendation_id or period_start(
                    later.published, later.published_precision
                ) <= period_end(report.published, report.published_precision):
                    errors["superseded_by"] = "A recommendation is superseded only by one of a later publication."
            if self.owner_id and not self.recommendation.owners.filter(pk=self.owner_id).exists():
                errors["owner"] = "That organisation is not named among this recommendation's addressees."
        if errors:
            raise ValidationError(errors)


class LinkKind(models.TextChoices):
    """How a later recommendation relates to an earlier one."""

    REPEATS = "repeats", "Repeats"
    FOLLOWS_UP = "follows_up", "Follows up"
    SUPERSEDES = "supersedes", "Supersedes"

    @property
    def slug(self) -> str:
        return self.value.replace("_", "-")

    @property
    def earlier_phrase(self) -> str:
        """The link read from the earlier recommendation's side."""
        return {"repeats": "Repeated by", "follows_up": "Followed up by", "supersedes": "Superseded by"}[self.value]


class RecommendationLink(models.Model):
    """A typed link from a later recommendation to an earlier one: the later one *repeats*
    it (asks the same again), *follows up* on it, or *supersedes* it (the earlier is
    superseded by the later)."""

    Kind = LinkKind

    later = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="links_to_earlier")
    earlier = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="links_to_later")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    note = models.TextField(blank=True, help_text="Plain text: the source or reason for the link.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_key = models.CharField(max_length=120, unique=True, null=True, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["earlier_id", "later_id"]
        # Checked by the admin's import (IMPORT_EXPORT_IMPORT_PERMISSION_CODE).
        permissions = [("import_recommendationlink", "Can import links between recommendations from a file")]
        constraints = [
            models.UniqueConstraint(fields=["later", "earlier", "kind"], name="link_unique_per_kind"),
            models.CheckConstraint(condition=~models.Q(later=models.F("earlier")), name="link_not_to_itself"),
            models.CheckConstraint(condition=models.Q(kind__in=LinkKind.values), name="link_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.later} {LinkKind(self.kind).label.lower()} {self.earlier}"

    def clean(self) -> None:
        if self.later_id and self.earlier_id:
            if self.later_id == self.earlier_id:
                raise ValidationError("A recommendation cannot be linked to itself.")
            early, late = self.earlier.report, self.later.report
            if period_start(late.published, late.published_precision) <= period_end(
                early.published, early.published_precision
            ):
                raise ValidationError({"later": f"{self.later} is not from a publication later than {self.earlier}'s."})


class AcceptanceDecision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PARTLY_ACCEPTED = "partly_accepted", "Partly accepted"
    NOT_ACCEPTED = "not_accepted", "Not accepted"

    @property
    def slug(self) -> str:
        return self.value.replace("_", "-")


class Acceptance(models.Model):
    """An addressee's management response: whether it accepts the recommendation. Append-only:
    a changed response is a new record; ``is_current`` marks each addressee's latest (kept by
    services.acceptance_create, the only writer) so that filters need no per-row subquery."""

    Decision = AcceptanceDecision

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="acceptances")
    owner = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="acceptances")
    decision = models.CharField(max_length=16, choices=AcceptanceDecision.choices)
    responded_on = models.DateField("date of response")
    text = models.TextField("management response", help_text="Plain text.")
    source = models.ForeignKey(
        "reports.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acceptances_stated",
        help_text="The published response it was taken from, if any.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="acceptances"
    )
    is_current = models.BooleanField(default=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-responded_on", "-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=AcceptanceDecision.values), name="acceptance_decision_valid"
            ),
            models.UniqueConstraint(
                fields=["recommendation", "owner"],
                condition=models.Q(is_current=True),
                name="acceptance_one_current_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["decision"], condition=models.Q(is_current=True), name="acceptance_current_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.owner} on {self.responded_on}"

    def clean(self) -> None:
        errors = {}
        if self.text is not None and not self.text.strip():
            errors["text"] = "Give the management response."
        if self.responded_on and self.responded_on > timezone.localdate():
            errors["responded_on"] = "A response cannot be dated in the future."
        if self.recommendation_id and self.owner_id:
            if not addressed_to_owner(self.recommendation, self.owner):
                errors["owner"] = "That organisation is not an addressee of this recommendation."
        if errors:
            raise ValidationError(errors)


# --- The audited body's own voice (#19) ----------------------------------------------------


class Progress(models.TextChoices):
    """What an addressee says it has done about a recommendation."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    PARTLY_IMPLEMENTED = "partly_implemented", "Partly implemented"
    IMPLEMENTED = "implemented", "Implemented"
    WILL_NOT_IMPLEMENT = "will_not_implement", "Will not implement"


class Response(EvidenceReferences):
    """An organisation's own response to a recommendation addressed to it: what it says it
    has done. Append-only, like assessments: a later response supersedes it on the page,
    nothing rewrites it. Only that organisation's officers, auditors and admins see it."""

    Progress = Progress

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="responses")
    organisation = models.ForeignKey(Owner, on_delete=models.PROTECT, related_name="responses")
    progress = models.CharField(max_length=20, choices=Progress.choices)
    text = RichTextField("what has been done", help_text="Plain text, or simple formatting.")
    responded_on = models.DateField("date of the response")
    responded_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    published_in = models.ForeignKey(
        "reports.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_responses",
        help_text="The publication (a board paper, a letter) the response was made in.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        help_text="Empty for imported responses.",
    )
    source_key = models.CharField(
        max_length=120,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Stable key of a seeded or imported response, so loading it twice adds nothing.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-responded_on", "-created", "-id"]
        get_latest_by = ["responded_on", "created", "id"]
        permissions = [("import_response", "Can import responses from a file")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__in=Progress.values), name="response_progress_valid"),
            models.CheckConstraint(
                condition=models.Q(responded_precision__in=DatePrecision.values),
                name="response_precision_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recommendation", "organisation", "responded_on", "created", "id"], name="response_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.progress_label} on {self.responded_display} for {self.recommendation}"

    @property
    def progress_label(self) -> str:
        return Progress(self.progress).label

    @property
    def responded_display(self) -> str:
        return format_partial_date(self.responded_on, self.responded_precision)

    def clean(self) -> None:
        errors = {}
        if self.text is not None and not self.text.strip():
            errors["text"] = "Say what has been done."
        errors.update(self.evidence_errors())
        if self.responded_on and period_start(self.responded_on, self.responded_precision) > timezone.localdate():
            errors["responded_on"] = "A response cannot be dated in the future."
        if errors:
            raise ValidationError(errors)


def response_flags(*, progress: str, responded_on, status: int, status_date, stale_months: int) -> tuple[bool, bool]:
    """(disagrees, awaiting assessment) for an organisation's latest response and the
    auditor's current rating for it (its own, else the national one).

    They disagree when the body says Implemented while the rating is Red or Amber, when it
    says Not started while the rating is Green, or when the response is newer than the
    rating by more than the stale period. A response awaits assessment when it is newer
    than the rating (or there is none)."""
    if not progress:
        return False, False
    awaiting = status_date is None or responded_on > status_date
    disagrees = (
        (progress == Progress.IMPLEMENTED and status in (Status.RED, Status.AMBER))
        or (progress == Progress.NOT_STARTED and status == Status.GREEN)
        or (status_date is not None and responded_on > add_months(status_date, stale_months))
    )
    return disagrees, awaiting


def _evidence_upload_to(instance, filename: str) -> str:
    # The stored name is ours, never the uploader's: the uploader's name is kept for display only.
    return f"responses/{timezone.now():%Y/%m}/{instance.stored_stem}.{instance.extension}"


class ResponseFile(models.Model):
    """A file of evidence attached to a response, kept through Django's storage API (so
    production can use S3-compatible storage) and served only to those who may see the
    response (recommendations.views_responses.evidence_file)."""

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=_evidence_upload_to, max_length=200)
    name = models.CharField("file name as uploaded", max_length=200)
    kind = models.CharField(max_length=10, help_text="The type found in the file's content: pdf, docx, xlsx, png ...")
    size = models.PositiveIntegerField()
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def stored_stem(self) -> str:
        return secrets.token_hex(16)

    @property
    def extension(self) -> str:
        return self.kind


class AddresseeStatus(models.Model):
    """Both voices for one organisation a recommendation is addressed to: the auditor's
    rating for it (when an assessment concerns it; empty: the recommendation's national
    status stands) and the organisation's latest response, with the flags the table filters
    by. Created lazily, only once an assessment or a response concerns the organisation (a
    recommendation addressed to all 32 CPPs has rows only for the CPPs that responded or
    were assessed on their own). Written only by services (_refresh_addressees), whenever a
    response or an assessment of the recommendation is recorded, so tables and dashboards
    read it with a join instead of reading histories."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="addressee_statuses")
    organisation = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="addressee_statuses")
    status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    status_date = models.DateField(null=True, blank=True)
    status_date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    progress = models.CharField(max_length=20, choices=Progress.choices, blank=True)
    responded_on = models.DateField(null=True, blank=True)
    # Flags (services.response_flags): the response and the rating disagree; the response is
    # newer than the auditor's latest rating for the organisation.
    disagrees = models.BooleanField(default=False)
    awaiting_assessment = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "organisation"], name="addressee_status_unique"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="addressee_status_org_idx"),
            models.Index(fields=["recommendation"], condition=models.Q(disagrees=True), name="addressee_disagrees_idx"),
            models.Index(
                fields=["recommendation"], condition=models.Q(awaiting_assessment=True), name="addressee_awaiting_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.recommendation}"


class RatingDefinition(models.Model):
    """What a rating (Red, Amber, Green, Not rated) or a response's progress value means:
    one definition each, editable by admins, shown as a legend wherever ratings appear."""

    key = models.CharField(max_length=30, unique=True, help_text="A rating's slug (red) or a progress value.")
    label = models.CharField(max_length=50)
    definition = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label
