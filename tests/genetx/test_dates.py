"""Dates known to a year, a month or a day: shown, exchanged and cited no more precisely."""

import datetime

import pytest
from django.utils import translation

from genetx import dates
from genetx.models import DatePrecision

DAY = datetime.date(2025, 3, 14)


@pytest.mark.parametrize(
    ("precision", "shown", "iso", "parts"),
    [
        (DatePrecision.YEAR, "2025", "2025", [2025]),
        (DatePrecision.MONTH, "March 2025", "2025-03", [2025, 3]),
        (DatePrecision.DAY, "14 March 2025", "2025-03-14", [2025, 3, 14]),
        ("", "14 March 2025", "2025-03-14", [2025, 3, 14]),
    ],
)
def test_each_precision_shows_only_what_is_known(precision, shown, iso, parts):
    with translation.override("en-gb"):
        assert dates.display(DAY, precision) == shown
    assert dates.iso(DAY, precision) == iso
    assert dates.parts(DAY, precision) == parts


def test_english_is_day_first_whatever_the_variant():
    with translation.override("en-us"):
        assert dates.display(DAY, DatePrecision.DAY) == "14 March 2025"


def test_spanish_readers_get_spanish_month_names():
    with translation.override("es"):
        assert dates.display(DAY, DatePrecision.DAY) == "14 de marzo de 2025"
        assert dates.display(DAY, DatePrecision.MONTH) == "marzo de 2025"


def test_an_unknown_date_is_empty_everywhere():
    assert dates.display(None, DatePrecision.DAY) == ""
    assert dates.iso(None, DatePrecision.YEAR) == ""
    assert dates.parts(None, DatePrecision.MONTH) == []
