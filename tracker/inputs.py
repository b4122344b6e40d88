"""Bounds for what visitors type or edit into a query string. Anything outside them is the
visitor's mistake: a form error (400), never a value handed on to date arithmetic or to the
database, where it failed as a 500 (issue #17)."""

import datetime

from django.core.exceptions import BadRequest, ValidationError

# Dates and years the tracker can mean: the oldest publication is from 2006, and Python's
# dates (and the databases') end in year 9999, which date arithmetic near them overflows.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
EARLIEST_DATE = datetime.date(EARLIEST_YEAR, 1, 1)
LATEST_DATE = datetime.date(LATEST_YEAR, 12, 31)

# Far past any real page count, and an OFFSET every database takes.
MAX_PAGE = 1_000_000


def validate_date_in_range(value: datetime.date) -> None:
    if value < EARLIEST_DATE:
        raise ValidationError("Choose 1 January 1900 or a later date.", code="min_value")
    if value > LATEST_DATE:
        raise ValidationError("Choose 31 December 2100 or an earlier date.", code="max_value")


def page_number(request) -> int:
    """``?page=``: 1 when absent or empty. Anything but a whole number from 1 to MAX_PAGE is
    a bad request (the 400 page); whether the page exists is the caller's 404 to give."""
    value = request.GET.get("page") or "1"
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))):
        raise BadRequest("The page number is not a whole number.")
    number = int(value)
    if not 1 <= number <= MAX_PAGE:
        raise BadRequest("The page number is out of range.")
    return number
