"""Which expiry alert is due for a record. Pure: dates and numbers in, a threshold out.

A record expiring on day E is announced at each threshold T (days before E, e.g. 30, 7
and 0): once the days left are T or fewer. Only the most urgent threshold not yet
announced is raised: a record first seen 5 days before its expiry raises the 7-day
alert, not also the 30-day one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

DEFAULT_THRESHOLDS = (30, 7, 0)


def due_threshold(expires_on: dt.date, today: dt.date, thresholds: Iterable[int],
                  announced: Iterable[int] = ()) -> int | None:  # fmt: skip
    """The threshold to announce today, or None.

    >>> due_threshold(dt.date(2026, 1, 31), dt.date(2026, 1, 1), (30, 7, 0))
    30
    >>> due_threshold(dt.date(2026, 1, 31), dt.date(2026, 1, 26), (30, 7, 0), announced=[30])
    7
    >>> due_threshold(dt.date(2026, 1, 31), dt.date(2026, 1, 26), (30, 7, 0), announced=[7])
    >>> due_threshold(dt.date(2026, 1, 31), dt.date(2026, 2, 5), (30, 7, 0))
    0
    """
    left = (expires_on - today).days
    reached = [t for t in thresholds if left <= t]
    if not reached:
        return None
    most_urgent = min(reached)
    done = set(announced)
    if any(t <= most_urgent for t in done):
        return None
    return most_urgent


def check_thresholds(value: object) -> list[int]:
    """Distinct whole days 0..365, most distant first; ValueError naming the problem."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("give a non-empty list of days, e.g. [30, 7, 0]")
    for item in value:
        if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item <= 365:
            raise ValueError(f"{item!r} is not a whole number of days between 0 and 365")
    return sorted(set(value), reverse=True)
