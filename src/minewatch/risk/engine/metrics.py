"""Hit rate and PAI at a fixed area coverage.

The hit rate at coverage ``c`` is the share of the day's events that fall in
the highest-ranked cells covering a fraction ``c`` of the study area; the
predictive accuracy index (PAI, Chainey et al. 2008) is the hit rate divided
by ``c``. Two details make the numbers comparable between methods and grids:

* **ties** — cells with equal scores form one block; when the coverage budget
  ends inside a block, the block contributes its hits in proportion to the
  area taken. This is the expected hit rate under a random order of tied
  cells, so a method gains nothing from an arbitrary tie-break (a naive count
  has many tied zero cells);
* **the last cell** — likewise counted in proportion to the area it takes, so
  the hit rate is a continuous, piecewise-linear function of coverage.
"""

from __future__ import annotations

import numpy as np


def expected_hits_at_coverage(
    scores: np.ndarray,
    area_m2: np.ndarray,
    hits_per_cell: np.ndarray,
    coverage: float,
) -> float:
    """Events captured by the top-scored cells covering ``coverage`` of the area.

    Parameters
    ----------
    scores : numpy.ndarray
        Risk score per cell (higher is riskier).
    area_m2 : numpy.ndarray
        Area per cell, square metres.
    hits_per_cell : numpy.ndarray
        Number of test events in each cell.
    coverage : float
        Fraction of the total area to select, in (0, 1].

    Returns
    -------
    float
        Expected number of events captured (fractional at a tied or cut block).

    Examples
    --------
    >>> hits = np.array([2, 0, 1, 1])
    >>> expected_hits_at_coverage(np.array([3.0, 1, 0, 0]), np.ones(4), hits, 0.25)
    2.0
    >>> expected_hits_at_coverage(np.array([1.0, 1, 0, 0]), np.ones(4), hits, 0.25)
    1.0
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be a fraction in (0, 1], got {coverage!r}")
    scores = np.asarray(scores, float)
    if not (len(scores) == len(area_m2) == len(hits_per_cell)):
        raise ValueError("scores, area_m2 and hits_per_cell must have one value per cell")
    if np.any(~np.isfinite(scores)):
        raise ValueError("scores must be finite numbers")
    levels, block = np.unique(-scores, return_inverse=True)
    block_area = np.bincount(block, weights=area_m2, minlength=len(levels))
    block_hits = np.bincount(block, weights=hits_per_cell, minlength=len(levels))
    cumulative_area = np.cumsum(block_area)
    budget = coverage * cumulative_area[-1]
    cut = int(np.searchsorted(cumulative_area, budget, side="left"))
    cut = min(cut, len(levels) - 1)
    area_before = cumulative_area[cut - 1] if cut > 0 else 0.0
    hits_before = block_hits[:cut].sum()
    share = (budget - area_before) / block_area[cut] if block_area[cut] > 0 else 0.0
    return float(hits_before + min(max(share, 0.0), 1.0) * block_hits[cut])


def hit_rate_and_pai(
    captured: float, total_events: int, coverage: float
) -> tuple[float | None, float | None]:
    """Pooled hit rate and PAI; ``(None, None)`` when there were no events."""
    if total_events == 0:
        return None, None
    hit_rate = captured / total_events
    return hit_rate, hit_rate / coverage


def expected_hits_at_coverages(
    scores: np.ndarray,
    area_m2: np.ndarray,
    hits_per_cell: np.ndarray,
    coverages: tuple[float, ...],
) -> np.ndarray:
    """:func:`expected_hits_at_coverage` at several coverages from one sort.

    Examples
    --------
    >>> hits = np.array([2, 0, 1, 1])
    >>> expected_hits_at_coverages(np.array([3.0, 1, 0, 0]), np.ones(4), hits, (0.25, 0.5))
    array([2., 2.])
    """
    if not all(0 < c <= 1 for c in coverages):
        raise ValueError(f"coverages must be fractions in (0, 1], got {coverages!r}")
    levels, block = np.unique(-np.asarray(scores, float), return_inverse=True)
    block_area = np.bincount(block, weights=area_m2, minlength=len(levels))
    block_hits = np.bincount(block, weights=hits_per_cell, minlength=len(levels))
    cumulative_area = np.cumsum(block_area)
    cumulative_hits = np.concatenate([[0.0], np.cumsum(block_hits)])
    area_before = np.concatenate([[0.0], cumulative_area])
    budget = np.asarray(coverages, float) * cumulative_area[-1]
    cut = np.minimum(np.searchsorted(cumulative_area, budget, side="left"), len(levels) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(block_area[cut] > 0, (budget - area_before[cut]) / block_area[cut], 0.0)
    return cumulative_hits[cut] + np.clip(share, 0.0, 1.0) * block_hits[cut]
