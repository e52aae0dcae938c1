"""Deadlines counted in working days (Monday to Friday, public holidays excluded).

The holiday dates come in as an argument (the service reads them from the ``holidays``
package for Peru); nothing here knows about a country or a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

DEFAULT_ACKNOWLEDGE_WORKING_DAYS = 5
DEFAULT_RESPONSE_WORKING_DAYS = 30
DEFAULT_USE_OF_FORCE_FILING_H = 24.0


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """True on Monday to Friday unless ``day`` is a holiday.

    >>> is_working_day(dt.date(2026, 7, 28), {dt.date(2026, 7, 28)})  # Fiestas Patrias
    False
    """
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int, holidays: Collection[dt.date]) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count).

    Parameters
    ----------
    start : date the count starts from (e.g. the day a grievance was received).
    days : working days to add, 0 or more; 0 returns ``start``.
    holidays : dates that are not working days.

    Examples
    --------
    >>> add_working_days(dt.date(2026, 12, 4), 5, set())  # Friday + 5 → next Friday
    datetime.date(2026, 12, 11)
    >>> add_working_days(dt.date(2026, 12, 4), 5, {dt.date(2026, 12, 8)})
    datetime.date(2026, 12, 14)
    """
    if days < 0:
        raise ValueError(f"days must be 0 or more, got {days}")
    current, left = start, days
    while left:
        current += dt.timedelta(days=1)
        if is_working_day(current, holidays):
            left -= 1
    return current


def is_past(due_on: dt.date | None, today: dt.date) -> bool:
    """True when a deadline date has gone by (the due day itself is still in time)."""
    return due_on is not None and today > due_on


def filing_deadline(occurred_at: dt.datetime, hours: float) -> dt.datetime:
    """When a use-of-force report is due: ``hours`` after the incident (UTC-aware in, out).

    >>> filing_deadline(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 24)
    datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if hours <= 0:
        raise ValueError(f"the filing time must be positive hours, got {hours}")
    return occurred_at + dt.timedelta(hours=hours)
