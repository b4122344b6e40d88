"""Dates that carry their precision.

Sources often give only a month ("July 2018") or a year. Such a date is stored
as the first day of its period together with its precision, so that sorting
works and the interface never shows an invented day.
"""

import calendar
import datetime
import re

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """Parse "2018", "2018-07" or "2018-07-12" into (first day of period, precision)."""
    match = _PARTIAL.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    if day:
        return datetime.date(int(year), int(month), int(day)), DatePrecision.DAY
    if month:
        return datetime.date(int(year), int(month), 1), DatePrecision.MONTH
    return datetime.date(int(year), 1, 1), DatePrecision.YEAR


def period_end(value: datetime.date, precision: str) -> datetime.date:
    """The last day of the period a partial date stands for."""
    if precision == DatePrecision.YEAR:
        return datetime.date(value.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return datetime.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])
    return value


def period_start(value: datetime.date, precision: str) -> datetime.date:
    if precision == DatePrecision.YEAR:
        return datetime.date(value.year, 1, 1)
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    return value


def format_partial_date(value: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    """ "3 March 2016", "July 2018" or "2006"; "" for no date."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return f"{calendar.month_name[value.month]} {value.year}"
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def iso_partial_date(value: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    """The machine form matching the precision: "2016-03-03", "2018-07", "2006"."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def add_months(when: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (earlier when negative), or the month's last day."""
    year, month = divmod(when.year * 12 + (when.month - 1) + months, 12)
    return datetime.date(year, month + 1, min(when.day, calendar.monthrange(year, month + 1)[1]))
