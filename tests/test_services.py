"""progress_update_create: the one writer of history and of current status."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from recommendations.models import ProgressUpdate, Status
from tests.factories import add_update, make_recommendation
from tracker.dates import DatePrecision

pytestmark = pytest.mark.django_db


def test_a_new_recommendation_is_never_assessed():
    rec = make_recommendation()
    assert rec.status == Status.NEVER_ASSESSED
    assert rec.status_date is None
    assert rec.update_count == 0


def test_update_sets_current_status_date_and_count():
    rec = make_recommendation()
    add_update(rec, rag=Status.AMBER, on=datetime.date(2017, 1, 10))
    rec.refresh_from_db()
    assert (rec.status, rec.status_date, rec.update_count) == (Status.AMBER, datetime.date(2017, 1, 10), 1)


def test_out_of_date_order_update_does_not_become_current():
    rec = make_recommendation()
    add_update(rec, rag=Status.GREEN, on=datetime.date(2018, 7, 1))
    # An older assessment entered later (e.g. back-filled history).
    add_update(rec, rag=Status.RED, on=datetime.date(2017, 2, 1))
    rec.refresh_from_db()
    assert rec.status == Status.GREEN
    assert rec.status_date == datetime.date(2018, 7, 1)
    assert rec.update_count == 2


def test_newer_update_after_older_ones_becomes_current():
    rec = make_recommendation()
    for rag, day in [(Status.RED, 1), (Status.AMBER, 3), (Status.GREEN, 2)]:
        add_update(rec, rag=rag, on=datetime.date(2018, 7, day))
    rec.refresh_from_db()
    assert rec.status == Status.AMBER
    assert rec.status_date == datetime.date(2018, 7, 3)


def test_same_date_updates_are_ordered_by_creation():
    rec = make_recommendation()
    add_update(rec, rag=Status.GREEN, on=datetime.date(2018, 7, 1))
    add_update(rec, rag=Status.AMBER, on=datetime.date(2018, 7, 1))
    rec.refresh_from_db()
    assert rec.status == Status.AMBER


def test_narrative_only_assessment_is_not_rated():
    rec = make_recommendation()
    add_update(rec, rag=Status.NOT_RATED)
    rec.refresh_from_db()
    assert rec.status == Status.NOT_RATED
    assert rec.status_label == "Not rated"


def test_status_date_keeps_its_precision():
    rec = make_recommendation()
    add_update(rec, on=datetime.date(2018, 7, 1), assessed_precision=DatePrecision.MONTH)
    rec.refresh_from_db()
    assert rec.status_date_display == "July 2018"


def test_caller_object_is_refreshed_too():
    rec = make_recommendation()
    add_update(rec, rag=Status.RED)
    assert rec.status == Status.RED
    assert rec.update_count == 1


def test_invalid_update_leaves_nothing_behind():
    rec = make_recommendation()
    add_update(rec, rag=Status.GREEN, on=datetime.date(2018, 7, 1))
    with pytest.raises(ValidationError):
        add_update(rec, rag=Status.RED, on=datetime.date(2019, 1, 1), summary="")
    rec.refresh_from_db()
    assert ProgressUpdate.objects.filter(recommendation=rec).count() == 1
    assert rec.status == Status.GREEN


def test_history_keeps_every_update_newest_first():
    rec = make_recommendation()
    first = add_update(rec, rag=Status.RED, on=datetime.date(2017, 1, 1))
    second = add_update(rec, rag=Status.GREEN, on=datetime.date(2018, 1, 1))
    assert list(rec.updates.all()) == [second, first]


def test_correction_is_a_new_update_naming_the_one_it_corrects():
    rec = make_recommendation()
    wrong = add_update(rec, rag=Status.GREEN, on=datetime.date(2018, 7, 1))
    fix = add_update(rec, rag=Status.AMBER, on=datetime.date(2018, 7, 1), corrects=wrong, summary="Was Amber.")
    rec.refresh_from_db()
    assert fix.corrects == wrong
    assert rec.status == Status.AMBER
    assert rec.update_count == 2
