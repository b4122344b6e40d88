"""Database constraints and model validation: the rules hold even outside forms."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recommendations.models import Owner, ProgressUpdate, Recommendation, Status, format_evidence
from tests.factories import add_update, make_owner, make_recommendation, make_report
from tracker.dates import DatePrecision

pytestmark = pytest.mark.django_db


def test_recommendation_number_is_unique_per_report():
    report = make_report()
    make_recommendation(report, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(report=report, number=1, text="Duplicate")
    # The same number in another report is fine.
    make_recommendation(make_report(), number=1)


def test_recommendation_number_starts_at_one():
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(report=make_report(), number=0, text="Zero")


@pytest.mark.parametrize("bad_rag", [0, 5, 9])
def test_progress_update_rag_must_be_a_rating(bad_rag):
    rec = make_recommendation()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressUpdate.objects.create(
            recommendation=rec, rag=bad_rag, summary="x", assessed_on=datetime.date(2018, 7, 1)
        )


def test_recommendation_status_must_be_valid_and_consistent():
    rec = make_recommendation()
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.filter(pk=rec.pk).update(status=9)
    # A status other than "never assessed" without a date or updates is inconsistent.
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.filter(pk=rec.pk).update(status=Status.GREEN)


def test_only_one_owner_stands_for_all_cpps(seeded):
    assert Owner.objects.filter(all_cpps=True).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        make_owner("All CPPs again", kind=Owner.Kind.CPP, all_cpps=True)


def test_all_cpps_owner_must_be_a_cpp():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_owner("Not a CPP", kind=Owner.Kind.NATIONAL_GOVERNMENT, all_cpps=True)


def test_owner_kind_is_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_owner("Odd", kind="martian")


def test_report_kind_is_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(kind="novel")


def test_assessment_cannot_predate_its_report():
    rec = make_recommendation(make_report(published=datetime.date(2016, 3, 3)))
    with pytest.raises(ValidationError) as exc:
        add_update(rec, on=datetime.date(2016, 3, 2))
    assert "before its report was published" in str(exc.value)
    assert not ProgressUpdate.objects.filter(recommendation=rec).exists()
    rec.refresh_from_db()
    assert rec.status == Status.NEVER_ASSESSED


def test_month_precision_assessment_in_the_publication_month_is_allowed():
    rec = make_recommendation(make_report(published=datetime.date(2016, 3, 3)))
    update = add_update(rec, on=datetime.date(2016, 3, 1), assessed_precision=DatePrecision.MONTH)
    assert update.assessed_display == "March 2016"


def test_month_precision_report_accepts_assessment_early_in_that_month():
    report = make_report(published=datetime.date(2018, 7, 1), published_precision=DatePrecision.MONTH)
    add_update(make_recommendation(report), on=datetime.date(2018, 7, 1))


def test_assessment_cannot_be_in_the_future():
    rec = make_recommendation()
    with pytest.raises(ValidationError) as exc:
        add_update(rec, on=datetime.date.today() + datetime.timedelta(days=2))
    assert "future" in str(exc.value)


def test_summary_is_required():
    with pytest.raises(ValidationError):
        add_update(make_recommendation(), summary="   ")


@pytest.mark.parametrize(
    "evidence",
    [
        "Paragraph 23",
        [{"page": 0}],
        [{"page": "14"}],
        [{"paragraphs": "23"}],
        [{"section": "", "paragraphs": [], "page": None}],
        [{"page": 3, "colour": "red"}],
    ],
)
def test_malformed_evidence_is_rejected(evidence):
    with pytest.raises(ValidationError):
        add_update(make_recommendation(), evidence=evidence)


def test_a_correction_must_concern_the_same_recommendation():
    first = add_update(make_recommendation())
    with pytest.raises(ValidationError):
        add_update(make_recommendation(), corrects=first)


@pytest.mark.parametrize(
    ("ref", "shown"),
    [
        ({"section": "", "paragraphs": ["10"], "page": 11}, "Paragraph 10, page 11"),
        ({"section": "", "paragraphs": ["23", "24"], "page": 14}, "Paragraphs 23 and 24, page 14"),
        ({"section": "Key message", "paragraphs": [], "page": 10}, "Key message, page 10"),
        ({"section": "", "paragraphs": [], "page": 15}, "Page 15"),
        ({"section": "", "paragraphs": ["5.4", "5.5"], "page": None}, "Paragraphs 5.4 and 5.5"),
    ],
)
def test_evidence_references_read_as_published(ref, shown):
    assert format_evidence(ref) == shown


def test_status_slugs_round_trip():
    for status in Status:
        assert Status.from_slug(status.slug) == status
    assert Status.from_slug("Not rated") == Status.NOT_RATED
