"""accord.core.dates: partial dates, their precision, ISO text, sort keys and labels in both locales."""

from __future__ import annotations

import calendar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.dates import (
    MAX_YEAR,
    MIN_YEAR,
    DatePrecision,
    PartialDate,
    PartialDateError,
    check_period,
    optional_date,
    period_label,
)
from accord.models.enums import Locale


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    year = draw(st.integers(MIN_YEAR, MAX_YEAR))
    month = draw(st.none() | st.integers(1, 12))
    day = None
    if month is not None:
        day = draw(st.none() | st.integers(1, calendar.monthrange(year, month)[1]))
    return PartialDate(year, month, day)


@pytest.mark.parametrize(
    ("date", "precision", "iso"),
    [
        (PartialDate(1972), DatePrecision.YEAR, "1972"),
        (PartialDate(2015, 8), DatePrecision.MONTH, "2015-08"),
        (PartialDate(2001, 5, 3), DatePrecision.DAY, "2001-05-03"),
        (PartialDate(1800, 1, 1), DatePrecision.DAY, "1800-01-01"),
    ],
)
def test_precision_and_iso(date: PartialDate, precision: DatePrecision, iso: str) -> None:
    assert date.precision is precision
    assert date.iso == iso


@pytest.mark.parametrize(
    ("date", "english", "chinese"),
    [  # docs/api.md: "1972 / 1972年, August 2015 / 2015年8月, 3 May 2001 / 2001年5月3日"
        (PartialDate(1972), "1972", "1972年"),
        (PartialDate(2015, 8), "August 2015", "2015年8月"),
        (PartialDate(2001, 5, 3), "3 May 2001", "2001年5月3日"),
        (PartialDate(2024, 12, 28), "28 December 2024", "2024年12月28日"),
    ],
)
def test_labels_in_both_locales(date: PartialDate, english: str, chinese: str) -> None:
    assert date.label(Locale.EN) == english
    assert date.label(Locale.ZH_TW) == chinese


def test_period_labels() -> None:
    start, end = PartialDate(2013), PartialDate(2015)
    assert period_label(start, end, Locale.EN) == "2013 to 2015"
    assert period_label(start, end, Locale.ZH_TW) == "2013年至2015年"
    assert period_label(start, None, Locale.EN) == "2013"
    mixed = period_label(PartialDate(2013, 5), PartialDate(2015, 1, 2), Locale.EN)
    assert mixed == "May 2013 to 2 January 2015"


@pytest.mark.parametrize(
    ("year", "month", "day", "field"),
    [
        (MIN_YEAR - 1, None, None, "year"),
        (MAX_YEAR + 1, None, None, "year"),
        (2000, 0, None, "month"),
        (2000, 13, None, "month"),
        (2000, None, 1, "day"),  # a day needs a month
        (2000, 2, 30, "day"),
        (2001, 2, 29, "day"),  # not a leap year
        (1900, 2, 29, "day"),  # divisible by 100, not by 400
        (2000, 4, 31, "day"),
        (2000, 1, 0, "day"),
    ],
)
def test_dates_that_cannot_exist_name_the_part(
    year: int, month: int | None, day: int | None, field: str
) -> None:
    with pytest.raises(PartialDateError) as refused:
        PartialDate(year, month, day)
    assert refused.value.field == field


def test_the_extremes_and_leap_days_exist() -> None:
    assert PartialDate(MIN_YEAR).year == MIN_YEAR
    assert PartialDate(MAX_YEAR, 12, 31).iso == f"{MAX_YEAR}-12-31"
    assert PartialDate(2000, 2, 29).day == 29
    assert PartialDate(2024, 2, 29).label(Locale.EN) == "29 February 2024"


def test_optional_date() -> None:
    assert optional_date(None, None, None) is None
    assert optional_date(None, 5, 3) is None  # no year: no date, whatever else the row holds
    assert optional_date(2015, 8, None) == PartialDate(2015, 8)


def test_a_period_must_end_after_it_starts() -> None:
    check_period(PartialDate(2013), PartialDate(2015))
    check_period(PartialDate(2013), None)
    check_period(PartialDate(2013), PartialDate(2013, 1))  # a month of 2013 sorts after "2013"
    for end in (PartialDate(2013), PartialDate(2012, 12, 31)):
        with pytest.raises(PartialDateError, match="after the start"):
            check_period(PartialDate(2013), end)


@given(partial_dates(), partial_dates())
def test_sort_keys_order_dates_as_the_calendar_does(a: PartialDate, b: PartialDate) -> None:
    """A year alone sorts before its months, a month before its days; otherwise calendar order."""

    def parts(date: PartialDate) -> tuple[int, int, int]:
        return (date.year, date.month or 0, date.day or 0)

    assert (a.sort_key < b.sort_key) == (parts(a) < parts(b))


@given(partial_dates())
def test_labels_and_iso_agree_with_the_parts(date: PartialDate) -> None:
    assert date.iso.split("-") == [
        f"{part:0{width}d}"
        for part, width in zip((date.year, date.month, date.day), (4, 2, 2), strict=True)
        if part is not None
    ]
    chinese = date.label(Locale.ZH_TW)
    assert chinese.startswith(f"{date.year}年")
    assert ("月" in chinese) == (date.month is not None)
    assert ("日" in chinese) == (date.day is not None)
    english = date.label(Locale.EN).split(" ")
    assert english[-1] == str(date.year)
    if date.month is not None:
        assert calendar.month_name[date.month] in english
    assert (
        len(english) == {DatePrecision.YEAR: 1, DatePrecision.MONTH: 2, DatePrecision.DAY: 3}[date.precision]
    )
