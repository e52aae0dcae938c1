"""Small statistics the reports print: changes between periods, percentiles of delays."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Change:
    """A count this period against a reference period: difference and percentage."""

    current: int
    reference: int

    @property
    def difference(self) -> int:
        return self.current - self.reference

    @property
    def percent(self) -> float | None:
        """Change in percent, ``None`` when the reference is zero (no base to compare)."""
        if self.reference == 0:
            return None
        return round(100.0 * self.difference / self.reference, 1)

    def as_dict(self) -> dict[str, int | float | None]:
        return {"current": self.current, "reference": self.reference,
                "difference": self.difference, "percent": self.percent}  # fmt: skip


def percentiles_min(delays_s: Sequence[float], quantiles: Iterable[int] = (50, 90)) -> dict:
    """The given percentiles of delays in seconds, in minutes rounded to 0.1 (``None`` if empty).

    Negative delays (a clock ahead of another) are dropped.

    Examples
    --------
    >>> percentiles_min([60, 120, 180, 240, 300])
    {'p50': 3.0, 'p90': 4.6, 'count': 5}
    """
    values = np.asarray([d for d in delays_s if d is not None and d >= 0], dtype=float)
    result: dict[str, float | int | None] = {}
    for q in quantiles:
        result[f"p{q}"] = round(float(np.percentile(values, q)) / 60.0, 1) if values.size else None
    result["count"] = int(values.size)
    return result


def compare_counts(
    current: Iterable[str], previous: Iterable[str], last_year: Iterable[str],
    order: Sequence[str] | None = None,
) -> list[dict]:  # fmt: skip
    """Rows ``{key, current, previous, last_year, vs_previous, vs_last_year}`` per key.

    Keys come from ``order`` (every one, even at zero) or, without it, from the keys seen
    in any period, most frequent this period first.
    """
    now, prev, year = Counter(current), Counter(previous), Counter(last_year)
    keys = (
        list(order)
        if order is not None
        else sorted(set(now) | set(prev) | set(year), key=lambda k: (-now[k], -prev[k], k))
    )
    return [
        {"key": key, "current": now[key], "previous": prev[key], "last_year": year[key],
         "vs_previous": Change(now[key], prev[key]).percent,
         "vs_last_year": Change(now[key], year[key]).percent}
        for key in keys
    ]  # fmt: skip
