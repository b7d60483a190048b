"""Partial dates: a year, optionally a month, optionally a day, as the timeline gives them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from enum import StrEnum

from accord.models.enums import Locale

MIN_YEAR = 1800
MAX_YEAR = 2200


class DatePrecision(StrEnum):
    YEAR = "YEAR"
    MONTH = "MONTH"
    DAY = "DAY"


class PartialDateError(ValueError):
    """A partial date that cannot exist; ``field`` names the offending part (year, month, day)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PartialDateError("year", f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise PartialDateError("month", "month must be between 1 and 12")
        if self.day is not None:
            if self.month is None:
                raise PartialDateError("day", "a day needs a month")
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise PartialDateError(
                    "day", f"day must be between 1 and {last} for {self.year}-{self.month:02d}"
                )

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        return DatePrecision.MONTH if self.month is not None else DatePrecision.YEAR

    @property
    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def sort_key(self) -> int:
        return self.year * 10_000 + (self.month or 0) * 100 + (self.day or 0)

    def label(self, locale: Locale) -> str:
        if locale is Locale.ZH_TW:
            text = f"{self.year}年"
            if self.month is not None:
                text += f"{self.month}月"
            if self.day is not None:
                text += f"{self.day}日"
            return text
        if self.month is None:
            return str(self.year)
        month = calendar.month_name[self.month]
        return f"{month} {self.year}" if self.day is None else f"{self.day} {month} {self.year}"


def optional_date(year: int | None, month: int | None, day: int | None) -> PartialDate | None:
    return None if year is None else PartialDate(year, month, day)


def period_label(start: PartialDate, end: PartialDate | None, locale: Locale) -> str:
    """'2013 to 2015' / '2013年至2015年'; a single date when there is no end."""
    if end is None:
        return start.label(locale)
    joiner = "至" if locale is Locale.ZH_TW else " to "
    return f"{start.label(locale)}{joiner}{end.label(locale)}"


def check_period(start: PartialDate, end: PartialDate | None) -> None:
    """An end date must come after the start (a later year, month or day)."""
    if end is not None and end.sort_key <= start.sort_key:
        raise PartialDateError("year", "the end date must come after the start date")
