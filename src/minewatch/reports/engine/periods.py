"""Reporting periods: a calendar month in local time, its weeks, and the first working day.

Months are read in the organisation's local time zone (Peru: America/Lima, UTC-5, no
daylight saving) and returned as timezone-aware UTC bounds, half-open ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays

MONTH_PATTERN = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class PeriodError(ValueError):
    """A month or year that is malformed, out of range or in the future.

    ``code`` says which (``format``, ``range``, ``future``) so callers can word it.
    """

    def __init__(self, message: str, *, code: str, value: str) -> None:
        super().__init__(message)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class Month:
    """One calendar month: ``year``, ``month`` and its UTC bounds in ``zone``."""

    year: int
    month: int
    zone: str

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return _local_midnight(self.first_day, self.zone)

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.next().first_day, self.zone)

    def next(self) -> Month:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return Month(year, month, self.zone)

    def previous(self) -> Month:
        year, month = (self.year - 1, 12) if self.month == 1 else (self.year, self.month - 1)
        return Month(year, month, self.zone)

    def a_year_before(self) -> Month:
        return Month(self.year - 1, self.month, self.zone)


def _local_midnight(day: dt.date, zone: str) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def parse_month(value: str, *, now: dt.datetime, zone: str) -> Month:
    """The month ``YYYY-MM`` that has begun by ``now`` (aware), in ``zone``.

    Raises :class:`PeriodError` when the text is not ``YYYY-MM``, the month number is
    not 1–12, or the month has not started yet.

    Examples
    --------
    >>> now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    >>> parse_month("2026-11", now=now, zone="America/Lima").label
    '2026-11'
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    match = MONTH_PATTERN.match((value or "").strip())
    if match is None:
        raise PeriodError(f"{value!r} is not a month written YYYY-MM", code="format", value=value)
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        raise PeriodError(f"{value!r} is not a real month", code="range", value=value)
    found = Month(year, month, zone)
    if found.start > now:
        raise PeriodError(f"{value!r} is in the future", code="future", value=value)
    return found


def previous_month(now: dt.datetime, zone: str) -> Month:
    """The last complete month before ``now`` in ``zone``."""
    local = now.astimezone(ZoneInfo(zone))
    return Month(local.year, local.month, zone).previous()


def week_starts(month: Month) -> list[dt.date]:
    """The Mondays of the weeks that overlap ``month`` (ISO weeks, the first may start before it)."""
    first = month.first_day - dt.timedelta(days=month.first_day.weekday())
    weeks = []
    while first <= month.last_day:
        weeks.append(first)
        first += dt.timedelta(days=7)
    return weeks


def week_index(local_day: dt.date, month: Month) -> int:
    """Index in :func:`week_starts` of the week holding ``local_day`` (a day of ``month``)."""
    first = month.first_day - dt.timedelta(days=month.first_day.weekday())
    return (local_day - first).days // 7


def first_working_day(year: int, month: int, *, country: str = "PE") -> dt.date:
    """The first day of the month that is neither a weekend nor a public holiday of ``country``.

    Examples
    --------
    >>> first_working_day(2027, 1)  # 1 Jan is a holiday, 2–3 Jan a weekend
    datetime.date(2027, 1, 4)
    """
    closed = holidays.country_holidays(country, years=year)
    day = dt.date(year, month, 1)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return day
