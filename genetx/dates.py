"""Dates known only to a year or a month: one home for showing and exchanging them.

Sources, figures and events are often dated "2018" or "March 2025". Each function takes
the date and its precision (a `DatePrecision` value; blank means a full date) and never
adds a part that is not known.
"""

import datetime

from django.utils.formats import date_format

from genetx.models import DatePrecision


def display(value: datetime.date | None, precision: str) -> str:
    """For readers, in the active language: 2018, March 2025, 14 March 2025."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "DATE_FORMAT")


def iso(value: datetime.date | None, precision: str) -> str:
    """ISO 8601 to the known precision (2022, 2023-07, 2023-07-05): <time datetime>, JSON."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def parts(value: datetime.date | None, precision: str) -> list[int]:
    """[year], [year, month] or [year, month, day]: CSL-JSON date-parts, RIS and BibTeX."""
    if value is None:
        return []
    if precision == DatePrecision.YEAR:
        return [value.year]
    if precision == DatePrecision.MONTH:
        return [value.year, value.month]
    return [value.year, value.month, value.day]
