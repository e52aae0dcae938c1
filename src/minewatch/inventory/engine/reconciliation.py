"""Monthly mass balance: tonnes dispatched and received per group, the difference and its uncertainty."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class BalanceRow:
    """Totals of one group; ``sigma_t`` adds the trips' independent errors in quadrature."""

    key: Hashable
    trips: int
    dispatched_t: float
    received_t: float
    difference_t: float
    sigma_t: float

    @property
    def difference_pct(self) -> float:
        return 100.0 * self.difference_t / self.dispatched_t if self.dispatched_t else 0.0

    @property
    def z_score(self) -> float:
        return self.difference_t / self.sigma_t if self.sigma_t > 0 else 0.0


def reconcile(trips: Iterable[tuple[Hashable, float, float, float]]) -> list[BalanceRow]:
    """Group ``(key, dispatched_t, received_t, sigma_t)`` trips by key, in first-seen order.

    Examples
    --------
    >>> [(r.key, r.trips, round(r.difference_t, 2), round(r.sigma_t, 3))
    ...  for r in reconcile([("A", 30, 29.9, 0.1), ("A", 30, 30, 0.1), ("B", 20, 20, 0.1)])]
    [('A', 2, 0.1, 0.141), ('B', 1, 0.0, 0.1)]
    """
    totals: dict[Hashable, list[float]] = {}
    for key, dispatched, received, sigma in trips:
        row = totals.setdefault(key, [0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += dispatched
        row[2] += received
        row[3] += sigma * sigma
    return [BalanceRow(key, int(n), d, r, d - r, math.sqrt(v)) for key, (n, d, r, v) in
            totals.items()]  # fmt: skip
