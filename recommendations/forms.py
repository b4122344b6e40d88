from django import forms
from django.conf import settings
from django.utils import timezone

from recommendations import evidence_files
from recommendations.models import (
    RATINGS,
    AcceptanceDecision,
    ClosureReason,
    Owner,
    Progress,
    ProgressUpdate,
    Recommendation,
    parse_evidence,
)
from reports.models import Report
from tracker import richtext
from tracker.dates import period_end, period_start
from tracker.forms import DesignSystemForm, UKDateField


class _ReportChoices(forms.models.ModelChoiceIterator):
    """(id, label) pairs read as values: thousands of reports as model instances took 30 ms."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, short_title, title in self.queryset.values_list("pk", "short_title", "title"):
            yield (pk, short_title or title)  # Report.__str__


class ReportChoiceField(forms.ModelChoiceField):
    iterator = _ReportChoices


def evidence_field(example: str) -> forms.CharField:
    """Evidence references typed as text, read by ``clean_evidence`` into structured data."""
    return forms.CharField(
        label="Evidence references (optional)",
        required=False,
        max_length=1000,
        help_text=f"Separate references with a semicolon, for example: {example}",
    )


class ProgressUpdateForm(DesignSystemForm):
    """An auditor's progress update. Only these fields are read from the request:
    author, time, current status and the rest are set by the service."""

    rag = forms.TypedChoiceField(
        label="RAG rating",
        choices=[(s.value, s.label) for s in RATINGS],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating, or “Not rated” for a narrative-only assessment."},
    )
    assessed_on = UKDateField(
        label="Date assessed",
        error_messages={"required": "Enter the date of the assessment."},
    )
    summary = forms.CharField(
        label="Summary of progress",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        error_messages={"required": "Summarise the progress found."},
    )
    evidence = evidence_field("Paragraph 23, page 14; Page 15")
    published_in = ReportChoiceField(
        label="Source publication (optional)",
        help_text="The publication that reported this assessment: this recommendation's report or a later one.",
        queryset=Report.objects.order_by("-published", "title"),
        required=False,
        empty_label="None",
    )
    corrects = forms.ModelChoiceField(
        label="This corrects an earlier update (optional)",
        queryset=ProgressUpdate.objects.none(),
        required=False,
        empty_label="No: it is a new assessment",
    )
    concerns = forms.ModelChoiceField(
        label="Rating for",
        help_text="Every addressee, or one organisation alone: a rating for one organisation "
        "changes no one else's status.",
        queryset=Owner.objects.none(),
        required=False,
        empty_label="Every addressee (the national assessment)",
    )
    seen_latest = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm = forms.BooleanField(label="Record my update anyway", required=False)

    def __init__(self, *args, recommendation: Recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        self.fields["corrects"].queryset = ProgressUpdate.objects.filter(recommendation=recommendation)
        self.fields["concerns"].queryset = Owner.objects.addressees_of(recommendation)
        # A progress report comes out no earlier than the report whose recommendation it assesses.
        report = recommendation.report
        self.fields["published_in"].queryset = self.fields["published_in"].queryset.filter(
            published__gte=period_start(report.published, report.published_precision)
        )
        self.fields["corrects"].label_from_instance = lambda u: (
            f"{u.assessed_display}: {u.rag_label}" + (f" ({u.part})" if u.part else "")
        )

    def clean_assessed_on(self):
        value = self.cleaned_data["assessed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date assessed cannot be in the future.")
        report = self.recommendation.report
        if value < period_start(report.published, report.published_precision):
            raise forms.ValidationError(
                f"The date assessed cannot be before the report was published ({report.published_display})."
            )
        return value

    def clean_summary(self):
        value = self.cleaned_data["summary"].strip()
        if not value:
            raise forms.ValidationError("Summarise the progress found.")
        # What is stored is the sanitised summary (RichTextField): markup alone, or markup that
        # is all removed (a script, a comment), would leave nothing to say what was found.
        if not richtext.plain(richtext.sanitise(value)).strip():
            raise forms.ValidationError(
                "Say what the assessment found: the summary has formatting or code but no text."
            )
        return value

    def clean_evidence(self):
        try:
            refs = parse_evidence(self.cleaned_data.get("evidence", ""))
        except ValueError as exc:
            raise forms.ValidationError(f"{exc} Write references like: Paragraph 23, page 14") from None
        for ref in refs:
            if not (ref["section"] or ref["paragraphs"] or ref["page"]):
                raise forms.ValidationError("Each evidence reference needs a paragraph, a page or a section.")
        return refs


# --- A recommendation's life (#20) --------------------------------------------------------

EVERY_ADDRESSEE = ""
# A select of later recommendations to supersede with: beyond this many, the form asks for a
# reference instead ("<publication slug>#<number>") rather than print thousands of options.
SUPERSEDING_CHOICES_MAX = 300


class _RecommendationChoices(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, short_title, title, number in self.queryset.values_list(
            "pk", "report__short_title", "report__title", "number"
        ):
            yield (pk, f"{short_title or title}, recommendation {number}")


class RecommendationChoiceField(forms.ModelChoiceField):
    iterator = _RecommendationChoices


def _later(recommendation: Recommendation):
    report = recommendation.report
    return period_end(report.published, report.published_precision)


class ClosureForm(DesignSystemForm):
    """Close a recommendation (for every addressee or one) or reopen it: auditors and admins.
    Only these fields are read from the request; author and time are the service's."""

    prefix = "closure"  # its ids never meet the other forms' on the recommendation page

    action = forms.ChoiceField(
        label="Action",
        choices=[("close", "Close it"), ("reopen", "Reopen it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to close or reopen it."},
    )
    owner = forms.TypedChoiceField(
        label="For",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Every addressee, or one of them alone.",
    )
    reason = forms.ChoiceField(
        label="Reason for closing",
        choices=[("", "Choose a reason"), *ClosureReason.choices],
        required=False,
        help_text="Needed to close; leave it when reopening.",
    )
    superseded_by = RecommendationChoiceField(
        label="Superseded by (a later recommendation)",
        queryset=Recommendation.objects.none(),
        required=False,
        empty_label="None",
    )
    superseded_by_report = ReportChoiceField(
        label="Superseded by (a later publication)",
        queryset=Report.objects.none(),
        required=False,
        empty_label="None",
    )
    superseded_by_title = forms.CharField(
        label="Superseded by (a publication not in the tracker)",
        required=False,
        max_length=300,
        help_text="Its title and date, e.g. Statutory guidance on community planning, December 2016.",
    )
    effective_on = UKDateField(
        label="Date",
        error_messages={"required": "Enter the date."},
    )
    note = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": "Say why."},
    )

    def __init__(self, *args, recommendation: Recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        owners = list(recommendation.owners.all())
        self.fields["owner"].choices = [(EVERY_ADDRESSEE, "Every addressee"), *((o.pk, o.name) for o in owners)]
        self.owners = {o.pk: o for o in owners}
        later_recs = Recommendation.objects.filter(report__published__gt=_later(recommendation)).order_by(
            "report__published", "report__title", "number"
        )
        # The first of them by date (a subquery: no query until the select is rendered or checked).
        first = later_recs.values("pk")[:SUPERSEDING_CHOICES_MAX]
        self.fields["superseded_by"].queryset = later_recs.filter(pk__in=first)
        self.fields["superseded_by"].help_text = (
            f"One of the first {SUPERSEDING_CHOICES_MAX} later recommendations; for another, link them in the admin "
            "and choose “a publication not in the tracker” here."
        )
        self.fields["superseded_by_report"].queryset = Report.objects.filter(
            published__gt=_later(recommendation)
        ).order_by("published", "title")

    def clean_note(self):
        value = self.cleaned_data["note"].strip()
        if not value:
            raise forms.ValidationError("Say why.")
        return value

    def clean(self):
        data = super().clean()
        action, reason = data.get("action"), data.get("reason")
        superseding = data.get("superseded_by") or data.get("superseded_by_report") or data.get("superseded_by_title")
        if action == "close" and not reason:
            self.add_error("reason", "Choose why it is closed.")
        if action == "reopen":
            data["reason"] = ""
        if action == "close" and reason == ClosureReason.SUPERSEDED and not superseding:
            self.add_error("superseded_by", "Name the later recommendation or publication that supersedes it.")
        if superseding and not (action == "close" and reason == ClosureReason.SUPERSEDED):
            self.add_error("superseded_by", "Only a recommendation closed as superseded names what supersedes it.")
        data["owner"] = self.owners.get(data.get("owner"))
        return data


class AcceptanceForm(DesignSystemForm):
    """An addressee's response to a recommendation: by its own officers, or by an auditor or
    admin from a published response."""

    prefix = "acceptance"

    owner = forms.TypedChoiceField(label="Organisation", coerce=int)
    decision = forms.ChoiceField(
        label="Response",
        choices=AcceptanceDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether it is accepted, partly accepted or not accepted."},
    )
    responded_on = UKDateField(
        label="Date of response",
        error_messages={"required": "Enter the date of the response."},
    )
    text = forms.CharField(
        label="Management response",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        error_messages={"required": "Give the management response."},
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.owners = {o.pk: o for o in owners}
        self.fields["owner"].choices = [(o.pk, o.name) for o in owners]

    def clean_responded_on(self):
        value = self.cleaned_data["responded_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date of the response cannot be in the future.")
        return value

    def clean_text(self):
        value = self.cleaned_data["text"].strip()
        if not value:
            raise forms.ValidationError("Give the management response.")
        return value

    def clean(self):
        data = super().clean()
        data["owner"] = self.owners.get(data.get("owner"))
        return data


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Any number of files (none included); each is checked by its content, not its name."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_EVIDENCE_FILES:
            raise forms.ValidationError(f"Attach at most {MAX_EVIDENCE_FILES} files to one response.")
        cleaned = [super(EvidenceFilesField, self).clean(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                evidence_files.check(upload, max_bytes=settings.TRACKER_EVIDENCE_MAX_BYTES)
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


MAX_EVIDENCE_FILES = 10


class ResponseForm(DesignSystemForm):
    """An officer's response for their organisation. Author, date and organisation checks
    are the view's and the service's: only these fields are read from the request."""

    organisation = forms.ModelChoiceField(
        label="Responding for",
        queryset=Owner.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the organisation you respond for."},
    )
    progress = forms.ChoiceField(
        label="Progress",
        choices=Progress.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how far your organisation has got."},
    )
    text = forms.CharField(
        label="What has been done",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        error_messages={"required": "Say what your organisation has done."},
    )
    evidence = evidence_field("Paragraph 5.4; Page 15")
    files = EvidenceFilesField(
        label="Evidence files (optional)",
        required=False,
        help_text=f"{evidence_files.ACCEPTED}; each at most "
        f"{settings.TRACKER_EVIDENCE_MAX_BYTES // (1024 * 1024)} MB. You can choose several.",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = organisations
        self.fields["organisation"].queryset = Owner.objects.filter(pk__in=[o.pk for o in organisations])
        if len(organisations) == 1:
            # One organisation: nothing to choose, and none is read from the request.
            del self.fields["organisation"]

    def clean(self):
        cleaned = super().clean()
        if "organisation" not in self.fields:
            cleaned["organisation"] = self.organisations[0]
        return cleaned

    def clean_text(self):
        value = self.cleaned_data["text"].strip()
        if not richtext.plain(richtext.sanitise(value)).strip():
            raise forms.ValidationError("Say what has been done: the text has formatting or code but no words.")
        return value

    clean_evidence = ProgressUpdateForm.clean_evidence
