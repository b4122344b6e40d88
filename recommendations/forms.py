from django import forms
from django.utils import timezone

from recommendations.models import RATINGS, ProgressUpdate, Recommendation, parse_evidence
from reports.models import Report
from tracker import richtext
from tracker.dates import period_start
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
    evidence = forms.CharField(
        label="Evidence references (optional)",
        required=False,
        max_length=1000,
        help_text="Separate references with a semicolon, for example: Paragraph 23, page 14; Page 15",
    )
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
    seen_latest = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm = forms.BooleanField(label="Record my update anyway", required=False)

    def __init__(self, *args, recommendation: Recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        self.fields["corrects"].queryset = ProgressUpdate.objects.filter(recommendation=recommendation)
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
