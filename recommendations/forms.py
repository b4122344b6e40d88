from django import forms
from django.conf import settings
from django.utils import timezone

from recommendations import evidence_files
from recommendations.models import RATINGS, Owner, Progress, ProgressUpdate, Recommendation, parse_evidence
from recommendations.widgets import FastSelect
from reports.models import Report
from tracker import richtext
from tracker.dates import period_start


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


class ProgressUpdateForm(forms.Form):
    """An auditor's progress update. Only these fields are read from the request:
    author, time, current status and the rest are set by the service."""

    rag = forms.TypedChoiceField(
        label="RAG rating",
        choices=[(s.value, s.label) for s in RATINGS],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating, or “Not rated” for a narrative-only assessment."},
    )
    assessed_on = forms.DateField(
        label="Date assessed",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the date of the assessment.", "invalid": "Enter a real date."},
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
        widget=FastSelect,  # every report: thousands of options
    )
    corrects = forms.ModelChoiceField(
        label="This corrects an earlier update (optional)",
        queryset=ProgressUpdate.objects.none(),
        required=False,
        empty_label="No: it is a new assessment",
        widget=FastSelect,  # every earlier update: a long history has over a hundred
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


class ResponseForm(forms.Form):
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
