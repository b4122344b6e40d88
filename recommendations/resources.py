"""Bulk import and export of recommendations and progress updates (django-import-export).

Every row is read and checked here, with a message an admin can act on, before
anything is written; the admin runs the whole file in one transaction and writes
nothing unless every row is valid (``rollback_on_validation_errors``).

Columns are stable names (``report``, ``number``, ...), matched regardless of case
and of spaces versus underscores. Owners are matched by name or former name,
ignoring case; an unknown owner is an error, never a new owner. Text cells that a
spreadsheet would run as a formula are refused; the apostrophe our exports put in
front of such cells is taken off again, so an export imports back unchanged.
"""

import datetime
import re
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from import_export import fields, resources

from recommendations.exports import FORMULA_STARTS, neutralise
from recommendations.models import (
    RATINGS,
    AuditDimension,
    LinkKind,
    Owner,
    Progress,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    Status,
    format_evidence,
    parse_evidence,
)
from recommendations.services import progress_update_create, response_create
from reports.models import Report
from tracker.dates import DatePrecision, iso_partial_date, parse_partial_date, period_start
from tracker.richtext import ALLOWED_DESCRIPTION, disallowed_markup, sanitise

LIST_SEPARATOR = ";"


class FileError(Exception):
    """A problem with the file as a whole (its columns, its size): shown above the rows."""


def _cell(value) -> str:
    """A cell as text: trimmed, with the export's formula-neutralising apostrophe taken off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def looks_like_formula(raw) -> bool:
    """Whether a spreadsheet would run this cell as a formula (and so a CSV opened in one could
    run a command): text starting with a tab or carriage return, or, once leading spaces and line
    breaks are trimmed, with = + - or @. A plain number such as -3 is a number, not a formula,
    and so are numbers and dates read from an .xlsx. Only the first character counts: a line
    starting "- " further down a multi-line cell is ordinary text."""
    if not isinstance(raw, str):
        return False
    if raw.startswith(("\t", "\r")):
        return True
    text = raw.strip()
    return text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text)


def _formula_start(raw: str) -> str:
    return raw[:1] if raw.startswith(("\t", "\r")) else raw.strip()[:1]


def _column_key(header) -> str:
    return str(header or "").strip().lower().replace(" ", "_").lstrip("\ufeff")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


class _Diff(resources.Diff):
    """The preview shows each cell as it would be exported (owners' names, the report's slug),
    not the bare attribute. (The library's Diff calls ``Diff._read_field_values`` by name.)"""

    def __init__(self, resource, instance, new):
        self.left = self._values(resource, instance, new)
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        self.right = self._values(resource, instance, False)

    def as_html(self):
        """Each cell as plain text, escaped by the preview template (what would be saved; a
        changed cell is marked there). The library's version writes diff_match_patch's
        HTML with inline ``style`` attributes, which the Content-Security-Policy blocks:
        every cell showed as underlined "inserted" text, with a console error each."""
        return [
            {"value": "" if right is None else str(right), "changed": not self.new and left != right}
            for left, right in zip(self.left, self.right, strict=False)
        ]

    @staticmethod
    def _values(resource, instance, new):
        if instance is None or new or getattr(instance, "_import_blank", False):
            return ["" for _ in resource.get_import_fields()]
        return [resource.export_field(f, instance) for f in resource.get_import_fields()]


class StrictResource(resources.ModelResource):
    """Shared rules: known columns only, a row limit, no formulas, no disallowed markup.

    Subclasses list their ``columns`` (name -> help), which are ``required`` and
    which hold rich text, and implement ``read_row`` returning field values and
    an error dict.
    """

    columns: dict[str, str] = {}
    required: tuple[str, ...] = ()
    rich_columns: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def get_diff_class(self):
        return _Diff

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._owners: dict[str, Owner] | None = None
        self._reports: dict[str, Report | None] = {}
        self._duplicates: dict[int, str] = {}
        self._dimension_index: dict[str, AuditDimension] | None = None

    # --- whole file ---------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        try:
            self._check_file(dataset)
        except FileError:
            dataset.wipe()  # nothing more to read: the rows would only repeat the file's problem
            raise

    def _check_file(self, dataset):
        headers = [_column_key(h) for h in dataset.headers or []]
        if not any(headers):
            raise FileError("The file has no header row. Download the template and keep its first row.")
        unknown = [h for h in headers if h not in self.columns]
        missing = [c for c in self.required if c not in headers]
        repeated = [h for h, n in Counter(headers).items() if n > 1]
        problems = []
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(repr(h) for h in unknown)}")
        if repeated:
            problems.append(f"repeated column{'s' if len(repeated) > 1 else ''}: {', '.join(repeated)}")
        if problems:
            raise FileError(
                "The header row is not right ("
                + "; ".join(problems)
                + f"). The columns are: {', '.join(self.columns)}. Download the template to start from."
            )
        dataset.headers = headers
        limit = settings.TRACKER_IMPORT_MAX_ROWS
        if len(dataset) > limit:
            raise FileError(
                f"The file has {len(dataset):,} rows; at most {limit:,} can be imported at once. "
                "Split it into smaller files."
            )
        self._duplicates = self.find_duplicates(dataset)

    def _check_import_id_fields(self, headers):
        """Columns are checked, with a clearer message, in before_import."""

    def find_duplicates(self, dataset) -> dict[int, str]:
        """Row number (from 1) -> message, for rows repeating an earlier row's key."""
        return {}

    # --- one row ------------------------------------------------------------

    def check_cells(self, row: dict) -> tuple[dict, dict]:
        """Every cell as text, and errors for formulas and markup, by column."""
        values, errors = {}, {}
        for column in self.columns:
            raw = row.get(column)
            if isinstance(raw, datetime.date | datetime.datetime):
                values[column] = raw
                continue
            text = _cell(raw)
            values[column] = text
            if looks_like_formula(raw):
                errors[column] = (
                    f"{text[:40]!r} looks like a spreadsheet formula (it starts with {_formula_start(raw)!r}), "
                    "which is not accepted. If it is meant as text, start the cell with an apostrophe ('), "
                    "which the import removes."
                )
                continue
            problems = disallowed_markup(text, rich=column in self.rich_columns)
            if problems:
                allowed = (
                    f"Only {ALLOWED_DESCRIPTION} are allowed." if column in self.rich_columns else "Plain text only."
                )
                errors[column] = f"Contains markup that is not allowed: {', '.join(problems)}. {allowed}"
        for column in self.required:
            if column not in errors and values.get(column) in ("", None):
                errors[column] = "This column is required and is empty."
        return values, errors

    def import_instance(self, instance, row, **kwargs):
        if not any(_cell(v) for v in row.values()):
            instance._import_blank = True  # an empty line, skipped
            return
        values, errors = self.check_cells(row)
        number = kwargs.get("row_number")
        if number in self._duplicates:
            errors.setdefault("__all__", self._duplicates[number])
        self.read_row(instance, values, errors)
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The row's own errors plus the model's (full_clean), minus repeats of the same problem."""
        if getattr(instance, "_import_blank", False):
            return
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if {"report", "number"} & exclude:
            exclude.add("recommendation")  # already explained by the report and number columns
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def read_row(self, instance, values: dict, errors: dict) -> None:
        raise NotImplementedError

    # --- lookups shared by both files ----------------------------------------

    def _report(self, slug: str) -> Report | None:
        """The report with this slug (any case), looked up once per file."""
        key = slug.lower()
        if key not in self._reports:
            self._reports[key] = Report.objects.filter(slug__iexact=key).first()
        return self._reports[key]

    def report_for(self, slug: str, errors: dict, column: str = "report") -> Report | None:
        if not slug:
            return None
        report = self._report(slug)
        if report is None:
            errors.setdefault(
                column, f"No report has the slug {slug!r}. Add the report in the admin first, then use its slug."
            )
        return report

    def owners_for(self, names: list[str], errors: dict, column: str) -> list[Owner]:
        if self._owners is None:
            self._owners = {}
            for owner in Owner.objects.all():
                for name in [owner.name, *owner.former_name_list]:
                    self._owners.setdefault(name.casefold(), owner)
        found, unknown = [], []
        for name in names:
            owner = self._owners.get(name.casefold())
            if owner is None:
                unknown.append(name)
            elif owner not in found:
                found.append(owner)
        if unknown:
            errors.setdefault(
                column,
                f"Unknown owner{'s' if len(unknown) > 1 else ''}: {', '.join(repr(n) for n in unknown)}. "
                "Owners are matched by name or former name; add a new organisation in the admin first.",
            )
        return found

    # --- export -------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        """Exported cells are inert in a spreadsheet, whatever their first character."""
        return neutralise(super().export_field(field, instance, **kwargs))

    @classmethod
    def template_headers(cls) -> list[str]:
        return list(cls.columns)


class RecommendationResource(StrictResource):
    """One row per recommendation; ``report`` + ``number`` identify it, so a row for an
    existing recommendation changes it (shown as "Update" in the preview)."""

    columns = {
        "report": "The report's slug, as shown in the admin (for example accounts-commission-2016).",
        "number": "Its number within the report: 1, 2, 3, … (each at most once in a file).",
        "theme": "Optional: the section heading it sits under.",
        "text": "The recommendation. Plain text, or simple formatting (paragraphs, lists, emphasis, links).",
        "owners": "Who it is addressed to: organisation names or former names, separated by “;”.",
        "audit_dimensions": "Optional: audit dimension names, separated by “;”.",
        "carries_forward": "Optional: earlier recommendations it carries forward, as report-slug#number, "
        "separated by “;”.",
    }
    required = ("report", "number", "text", "owners")
    rich_columns = ("text",)

    report = fields.Field(attribute="report", column_name="report")
    number = fields.Field(attribute="number", column_name="number")
    theme = fields.Field(attribute="theme", column_name="theme")
    text = fields.Field(attribute="text", column_name="text")
    owners = fields.Field(column_name="owners")
    audit_dimensions = fields.Field(column_name="audit_dimensions")
    carries_forward = fields.Field(column_name="carries_forward")

    class Meta:
        model = Recommendation
        fields = ("report", "number", "theme", "text", "owners", "audit_dimensions", "carries_forward")
        import_id_fields = ("report", "number")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        """Whatever the admin's list showed, exported in report order (earlier reports first, so a
        carried-forward link refers to a row above it), with everything a row needs in 3 queries."""
        return (
            queryset.select_related("report")
            .prefetch_related("owners", "audit_dimensions", "carries_forward__report")
            .order_by("report__published", "report__slug", "number")
        )

    def get_instance(self, instance_loader, row):
        """The existing recommendation with this report and number, if any (errors come later)."""
        number = _cell(row.get("number"))
        report = self._report(_cell(row.get("report")))
        if report is None or not number.isdigit():
            return None
        return Recommendation.objects.filter(report=report, number=int(number)).first()

    def find_duplicates(self, dataset):
        first_seen, duplicates = {}, {}
        for index, row in enumerate(dataset.dict, 1):
            key = (_cell(row.get("report")).lower(), _cell(row.get("number")))
            if not all(key):
                continue
            if key in first_seen:
                duplicates[index] = (
                    f"Recommendation number {key[1]} of {key[0]} appears twice in this file "
                    f"(rows {first_seen[key] + 1} and {index + 1})."
                )
            else:
                first_seen[key] = index
        return duplicates

    def read_row(self, instance, values, errors):
        report = self.report_for(values["report"], errors)
        if report is not None:
            instance.report = report
        number = values["number"]
        if number and not (number.isdigit() and int(number) >= 1):
            errors.setdefault("number", f"{number!r} is not a whole number from 1.")
        elif number:
            instance.number = int(number)
        instance.theme = values["theme"]
        instance.text = values["text"]
        instance._import_owners = self.owners_for(_split(values["owners"]), errors, "owners")
        instance._import_dimensions = self._dimensions(_split(values.get("audit_dimensions", "")), errors)
        instance._import_carries_forward = self._earlier(_split(values.get("carries_forward", "")), errors)

    def _dimensions(self, names, errors):
        if self._dimension_index is None:  # once per file
            self._dimension_index = {d.name.casefold(): d for d in AuditDimension.objects.all()}
            self._dimension_index.update({d.slug: d for d in self._dimension_index.values()})
        known = self._dimension_index
        unknown = [n for n in names if n.casefold() not in known]
        if unknown:
            errors.setdefault(
                "audit_dimensions",
                f"Unknown audit dimension{'s' if len(unknown) > 1 else ''}: {', '.join(repr(n) for n in unknown)}. "
                f"Known: {', '.join(sorted({d.name for d in known.values()}))}.",
            )
        return [known[n.casefold()] for n in names if n.casefold() in known]

    def _earlier(self, references, errors):
        found = []
        for reference in references:
            slug, _, number = reference.rpartition("#")
            target = None
            if slug and number.isdigit():
                target = Recommendation.objects.filter(report__slug__iexact=slug, number=int(number)).first()
            if target is None:
                errors.setdefault(
                    "carries_forward",
                    f"{reference!r} is not an existing recommendation. Write report-slug#number, "
                    "for example accounts-commission-2013#4.",
                )
            else:
                found.append(target)
        return found

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "_import_blank", False):
            return True
        if import_validation_errors or original is None or original.pk is None:
            return False
        return (
            (original.theme, original.text) == (instance.theme, instance.text)
            and set(original.owners.all()) == set(instance._import_owners)
            and set(original.audit_dimensions.all()) == set(instance._import_dimensions)
            and set(original.carries_forward.all()) == set(instance._import_carries_forward)
        )

    def save_m2m(self, instance, row, **kwargs):
        instance.owners.set(instance._import_owners)
        instance.audit_dimensions.set(instance._import_dimensions)
        instance.carries_forward.set(instance._import_carries_forward)

    def dehydrate_report(self, recommendation):
        return recommendation.report.slug

    def dehydrate_owners(self, recommendation):
        return f"{LIST_SEPARATOR} ".join(o.name for o in recommendation.owners.all())

    def dehydrate_audit_dimensions(self, recommendation):
        return f"{LIST_SEPARATOR} ".join(d.name for d in recommendation.audit_dimensions.all())

    def dehydrate_carries_forward(self, recommendation):
        return f"{LIST_SEPARATOR} ".join(
            f"{r.report.slug}#{r.number}" for r in recommendation.carries_forward.all() if r.pk
        )


class ProgressUpdateResource(StrictResource):
    """One row per assessment. History is append-only: a row always adds an assessment
    (through the same service as the update form); a row whose ``source_key`` is
    already recorded is skipped if identical and refused if it differs."""

    columns = {
        "report": "The slug of the report the recommendation is in.",
        "number": "The recommendation's number within that report.",
        "assessed_on": "Date assessed: YYYY-MM-DD, or YYYY-MM or YYYY when the source gives only a month or year.",
        "rag": "Red, Amber, Green or Not rated.",
        "part": "Optional: the part of the recommendation this rates.",
        "summary": "What the assessment found. Plain text, or simple formatting.",
        "evidence": "Optional: references such as “Paragraph 23, page 14”, separated by “;”.",
        "published_in": "Optional: the slug of the report that published this assessment.",
        "concerns": "Optional: the organisation a local response concerns.",
        "source_key": "Optional: a stable key, so importing the same file again adds nothing.",
    }
    required = ("report", "number", "assessed_on", "rag", "summary")
    rich_columns = ("summary",)

    report = fields.Field(column_name="report")
    number = fields.Field(column_name="number")
    assessed_on = fields.Field(column_name="assessed_on")
    rag = fields.Field(column_name="rag")
    part = fields.Field(attribute="part", column_name="part")
    summary = fields.Field(attribute="summary", column_name="summary")
    evidence = fields.Field(column_name="evidence")
    published_in = fields.Field(column_name="published_in")
    concerns = fields.Field(column_name="concerns")
    source_key = fields.Field(attribute="source_key", column_name="source_key")

    class Meta:
        model = ProgressUpdate
        fields = (
            "report",
            "number",
            "assessed_on",
            "rag",
            "part",
            "summary",
            "evidence",
            "published_in",
            "concerns",
            "source_key",
        )
        import_id_fields = ("source_key",)
        report_skipped = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        """In the order they were recorded, so importing them replays history exactly
        (two assessments on one date keep their order, and so the current status)."""
        return queryset.select_related("recommendation__report", "published_in", "concerns").order_by(
            "recommendation__report__published",
            "recommendation__report__slug",
            "recommendation__number",
            "assessed_on",
            "created",
            "id",
        )

    def get_instance(self, instance_loader, row):
        key = _cell(row.get("source_key"))
        return ProgressUpdate.objects.filter(source_key=key).first() if key else None

    def find_duplicates(self, dataset):
        first_seen, duplicates = {}, {}
        for index, row in enumerate(dataset.dict, 1):
            key = _cell(row.get("source_key"))
            if not key:
                continue
            if key in first_seen:
                duplicates[index] = (
                    f"The source key {key!r} appears twice (rows {first_seen[key] + 1} and {index + 1})."
                )
            else:
                first_seen[key] = index
        return duplicates

    def read_row(self, instance, values, errors):
        recorded = self._facts(instance) if instance.pk is not None else None
        report = self.report_for(values["report"], errors)
        number = values["number"]
        recommendation = None
        if report is not None and number:
            if number.isdigit():
                recommendation = Recommendation.objects.filter(report=report, number=int(number)).first()
            if recommendation is None:
                errors.setdefault("number", f"{report.slug} has no recommendation number {number}.")
        if recommendation is not None:
            instance.recommendation = recommendation
        self._read_date(instance, values["assessed_on"], errors)
        rag = values["rag"]
        try:
            instance.rag = Status.from_slug(rag) if rag else None
            if instance.rag not in RATINGS:
                raise KeyError(rag)
        except KeyError:
            errors.setdefault("rag", f"{rag!r} is not a rating. Use Red, Amber, Green or Not rated.")
        instance.part = values["part"]
        instance.summary = values["summary"]
        try:
            instance.evidence = parse_evidence(values["evidence"])
        except ValueError as exc:
            errors.setdefault("evidence", f"{exc} Write, for example, “Paragraph 23, page 14”.")
        instance.published_in = self.report_for(values["published_in"], errors, "published_in")
        if recommendation is not None and instance.published_in is not None:
            # As the update form: a publication reports on a recommendation no earlier than its report.
            report = recommendation.report
            if instance.published_in.published < period_start(report.published, report.published_precision):
                errors.setdefault(
                    "published_in",
                    f"{instance.published_in.slug!r} was published ({instance.published_in.published_display}) "
                    f"before the report this recommendation is in ({report.slug}, {report.published_display}); "
                    "the source publication must be that report or a later one.",
                )
        concerns = self.owners_for(_split(values["concerns"]), errors, "concerns")
        instance.concerns = concerns[0] if concerns else None
        instance.source_key = values["source_key"] or None
        if recorded is not None and not errors and self._facts(instance) != recorded:
            errors["__all__"] = (
                f"An assessment with the source key {instance.source_key!r} is already recorded with different "
                "content. History is never changed: give a correction a new source key."
            )

    @staticmethod
    def _facts(update) -> tuple:
        return (
            update.recommendation_id,
            update.assessed_on,
            update.assessed_precision,
            update.rag,
            update.part,
            sanitise(update.summary),
            update.evidence,
            update.published_in_id,
            update.concerns_id,
        )

    def _read_date(self, instance, value, errors):
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            instance.assessed_on, instance.assessed_precision = value, DatePrecision.DAY
            return
        if not value:
            return
        try:
            instance.assessed_on, instance.assessed_precision = parse_partial_date(value)
        except ValueError:
            errors.setdefault(
                "assessed_on",
                f"{value!r} is not a date this import reads. Write 2018-07-05, or 2018-07 or 2018 "
                "when the source gives only a month or a year.",
            )

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A blank line, or an assessment already recorded identically (a difference is an error).
        if getattr(instance, "_import_blank", False):
            return True
        return not import_validation_errors and original is not None and original.pk is not None

    def save_instance(self, instance, is_create, row, **kwargs):
        """Through the one service that writes history and the recommendation's current status."""
        created = progress_update_create(
            recommendation=instance.recommendation,
            rag=instance.rag,
            summary=instance.summary,
            assessed_on=instance.assessed_on,
            assessed_precision=instance.assessed_precision,
            evidence=instance.evidence,
            part=instance.part,
            published_in=instance.published_in,
            concerns=instance.concerns,
            author=kwargs.get("user"),
            source_key=instance.source_key,
        )
        instance.pk, instance.created, instance.author = created.pk, created.created, created.author

    def save_m2m(self, instance, row, **kwargs):
        pass

    def dehydrate_report(self, update):
        return update.recommendation.report.slug

    def dehydrate_number(self, update):
        return update.recommendation.number

    def dehydrate_assessed_on(self, update):
        return iso_partial_date(update.assessed_on, update.assessed_precision)

    def dehydrate_rag(self, update):
        return update.rag_label

    def dehydrate_evidence(self, update):
        return f"{LIST_SEPARATOR} ".join(format_evidence(ref) for ref in update.evidence or [])

    def dehydrate_published_in(self, update):
        return update.published_in.slug if update.published_in_id else ""

    def dehydrate_concerns(self, update):
        return update.concerns.name if update.concerns_id else ""


class RecommendationLinkResource(StrictResource):
    """One row per link between two recommendations: a later one repeats, follows up or
    supersedes an earlier one. A link already recorded is skipped; the file is all-or-nothing
    (any row's error imports nothing, and says which row and why)."""

    columns = {
        "later": "The later recommendation, as report-slug#number (for example community-planning-update-2016#12).",
        "kind": "repeats, follows up or supersedes: what the later one does to the earlier one.",
        "earlier": "The earlier recommendation, as report-slug#number.",
        "note": "Optional: the source or reason for the link (plain text).",
    }
    required = ("later", "kind", "earlier")

    later = fields.Field(column_name="later")
    kind = fields.Field(attribute="kind", column_name="kind")
    earlier = fields.Field(column_name="earlier")
    note = fields.Field(attribute="note", column_name="note")

    class Meta:
        model = RecommendationLink
        fields = ("later", "kind", "earlier", "note")
        import_id_fields = ()
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    KINDS = {kind.label.casefold(): kind.value for kind in LinkKind} | {kind.value: kind.value for kind in LinkKind}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("later__report", "earlier__report").order_by("earlier_id", "later_id")

    def get_instance(self, instance_loader, row):
        later = self._reference(_cell(row.get("later")))
        earlier = self._reference(_cell(row.get("earlier")))
        kind = self.KINDS.get(_cell(row.get("kind")).casefold().replace("_", " "))
        if later is None or earlier is None or kind is None:
            return None
        return RecommendationLink.objects.filter(later=later, earlier=earlier, kind=kind).first()

    def find_duplicates(self, dataset):
        first_seen, duplicates = {}, {}
        for index, row in enumerate(dataset.dict, 1):
            key = tuple(_cell(row.get(c)).casefold() for c in ("later", "kind", "earlier"))
            if not all(key):
                continue
            if key in first_seen:
                duplicates[index] = (
                    f"This link appears twice in this file (rows {first_seen[key] + 1} and {index + 1})."
                )
            else:
                first_seen[key] = index
        return duplicates

    @staticmethod
    def _reference(reference: str):
        slug, _, number = reference.rpartition("#")
        if not (slug and number.isdigit()):
            return None
        return (
            Recommendation.objects.filter(report__slug__iexact=slug, number=int(number))
            .select_related("report")
            .first()
        )

    def read_row(self, instance, values, errors):
        for column in ("later", "earlier"):
            if not values[column]:
                continue
            target = self._reference(values[column])
            if target is None:
                errors.setdefault(
                    column,
                    f"{values[column]!r} is not an existing recommendation. Write report-slug#number, "
                    "for example accounts-commission-2013#4.",
                )
            else:
                setattr(instance, column, target)
        kind = self.KINDS.get(values["kind"].casefold().replace("_", " "))
        if values["kind"] and kind is None:
            errors.setdefault(
                "kind", f"{values['kind']!r} is not a kind of link: write repeats, follows up or supersedes."
            )
        elif kind:
            instance.kind = kind
        instance.note = values.get("note", "")

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if getattr(instance, "_import_blank", False):
            return True
        return not import_validation_errors and original is not None and original.pk is not None

    def dehydrate_later(self, link):
        return f"{link.later.report.slug}#{link.later.number}"

    def dehydrate_earlier(self, link):
        return f"{link.earlier.report.slug}#{link.earlier.number}"

    def dehydrate_kind(self, link):
        return LinkKind(link.kind).label.lower()


class ResponseResource(ProgressUpdateResource):
    """One row per organisation's response (a board paper, a letter). Append-only like
    assessments: each row adds a response through the same service as the officers' form;
    a row whose ``source_key`` is already recorded is skipped if identical and refused if it
    differs. All-or-nothing, like every import. Evidence files are attached in the browser."""

    columns = {
        "report": "The slug of the report the recommendation is in.",
        "number": "The recommendation's number within that report.",
        "organisation": "The organisation responding: one the recommendation is addressed to.",
        "responded_on": "Date of the response: YYYY-MM-DD, or YYYY-MM or YYYY.",
        "progress": "Not started, In progress, Partly implemented, Implemented or Will not implement.",
        "text": "What has been done. Plain text, or simple formatting.",
        "evidence": "Optional: references such as “Paragraph 5.4”, separated by “;”.",
        "published_in": "Optional: the slug of the publication the response was made in.",
        "source_key": "Optional: a stable key, so importing the same file again adds nothing.",
    }
    required = ("report", "number", "organisation", "responded_on", "progress", "text")
    rich_columns = ("text",)

    organisation = fields.Field(column_name="organisation")
    responded_on = fields.Field(column_name="responded_on")
    progress = fields.Field(column_name="progress")
    text = fields.Field(attribute="text", column_name="text")

    class Meta:
        model = Response
        fields = tuple(
            ["report", "number", "organisation", "responded_on", "progress", "text", "evidence", "published_in"]
            + ["source_key"]
        )
        exclude = ("assessed_on", "rag", "part", "summary", "concerns")
        import_id_fields = ("source_key",)
        report_skipped = True
        clean_model_instances = True

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("recommendation__report", "published_in", "organisation").order_by(
            "recommendation__report__published", "recommendation__report__slug", "recommendation__number",
            "responded_on", "created", "id",
        )  # fmt: skip

    def get_instance(self, instance_loader, row):
        key = _cell(row.get("source_key"))
        return Response.objects.filter(source_key=key).first() if key else None

    def read_row(self, instance, values, errors):
        recorded = self._facts(instance) if instance.pk is not None else None
        report = self.report_for(values["report"], errors)
        number = values["number"]
        if report is not None and number:
            found = Recommendation.objects.filter(report=report, number=int(number)) if number.isdigit() else None
            instance.recommendation = found.first() if found is not None else None
            if instance.recommendation is None:
                errors.setdefault("number", f"{report.slug} has no recommendation number {number}.")
        organisations = self.owners_for(_split(values["organisation"]), errors, "organisation")
        instance.organisation = organisations[0] if organisations else None
        self._read_date(instance, values["responded_on"], errors)
        instance.responded_on = getattr(instance, "assessed_on", None)
        instance.responded_precision = getattr(instance, "assessed_precision", DatePrecision.DAY)
        if "assessed_on" in errors:
            errors["responded_on"] = errors.pop("assessed_on")
        by_label = {label.lower(): value for value, label in Progress.choices}
        instance.progress = by_label.get((values["progress"] or "").strip().lower(), "")
        if values["progress"] and not instance.progress:
            errors.setdefault("progress", f"{values['progress']!r} is not a progress value. Use one of: {PROGRESS}.")
        instance.text = values["text"]
        try:
            instance.evidence = parse_evidence(values["evidence"])
        except ValueError as exc:
            errors.setdefault("evidence", f"{exc} Write, for example, “Paragraph 5.4”.")
        instance.published_in = self.report_for(values["published_in"], errors, "published_in")
        instance.source_key = values["source_key"] or None
        if recorded is not None and not errors and self._facts(instance) != recorded:
            errors["__all__"] = (
                f"A response with the source key {instance.source_key!r} is already recorded with different "
                "content. Responses are never changed: give a new response a new source key."
            )

    @staticmethod
    def _facts(response) -> tuple:
        return (
            response.recommendation_id,
            response.organisation_id,
            response.responded_on,
            response.responded_precision,
            response.progress,
            sanitise(response.text),
            response.evidence,
            response.published_in_id,
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        """Through the one service that records responses (and refuses an organisation the
        recommendation is not addressed to: the whole import is then rolled back)."""
        created = response_create(
            recommendation=instance.recommendation,
            organisation=instance.organisation,
            progress=instance.progress,
            text=instance.text,
            responded_on=instance.responded_on,
            responded_precision=instance.responded_precision,
            evidence=instance.evidence,
            published_in=instance.published_in,
            author=kwargs.get("user"),
            source_key=instance.source_key,
        )
        instance.pk, instance.created, instance.author = created.pk, created.created, created.author

    def dehydrate_organisation(self, response):
        return response.organisation.name

    def dehydrate_responded_on(self, response):
        return iso_partial_date(response.responded_on, response.responded_precision)

    def dehydrate_progress(self, response):
        return response.progress_label


PROGRESS = ", ".join(label for _, label in Progress.choices)
