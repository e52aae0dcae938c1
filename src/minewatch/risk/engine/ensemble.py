"""Rank averaging: a stable ensemble of forecast maps.

At ~3 events a day no single map (count, shrinkage, KDE, SEPP, recency) wins
everywhere, and choosing one on ~150 validation events is noise: the standard
error of a validation hit rate (~0.03) exceeds the gaps between candidates.
Averaging the members' *ranks* with fixed weights removes that choice. Ranks,
not raw values, because the members live on different scales (a count, a
density, an intensity) and a hit rate only depends on the order of the cells.

Three small pieces:

* :func:`rank_scores` — each cell's average rank in ``[0, 1]`` (ties share it);
* :func:`lexicographic` — an exact order by a primary key, then tie-breakers;
* :func:`rearrange` — expected counts from a calibrated map, put in the order
  of a ranking (monotone rearrangement), so the output is both a ranking and
  an expected count per cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import rankdata


def rank_scores(values: np.ndarray) -> np.ndarray:
    """Average rank of each value scaled to ``(0, 1]``; equal values share a rank.

    Examples
    --------
    >>> rank_scores(np.array([0.0, 5.0, 0.0, 2.0])).tolist()
    [0.375, 1.0, 0.375, 0.75]
    """
    values = np.asarray(values, float)
    if len(values) == 0:
        return values
    return rankdata(values, method="average") / len(values)


def average_ranks(maps: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted mean of the members' rank scores.

    Parameters
    ----------
    maps : mapping of str to numpy.ndarray
        One score per cell for each member (higher is riskier).
    weights : mapping of str to float
        Weight of each member, >= 0, not all zero; members absent here are ignored.

    Examples
    --------
    >>> maps = {"a": np.array([3.0, 1, 0]), "b": np.array([0.0, 2, 1])}
    >>> average_ranks(maps, {"a": 1.0, "b": 1.0}).round(3).tolist()
    [0.667, 0.833, 0.5]
    """
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError(f"member weights must be >= 0 and not all zero, got {dict(weights)!r}")
    missing = set(weights) - set(maps)
    if missing:
        raise ValueError(f"no map for weighted member(s) {sorted(missing)}")
    total = sum(weights.values())
    return sum(w / total * rank_scores(maps[name]) for name, w in weights.items() if w > 0)


def lexicographic(primary: np.ndarray, tie_breakers: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Dense scores ordering cells by ``primary``, then each tie-breaker in turn.

    Cells equal in every key share a score; higher is riskier. The result is
    ``0, 1, 2, ...`` (as floats) from the least to the most risky group.

    Examples
    --------
    >>> lexicographic(np.array([1.0, 1, 0, 1]), [np.array([0.0, 2, 9, 2])]).tolist()
    [1.0, 2.0, 0.0, 2.0]
    """
    keys = [np.asarray(primary, float)] + [np.asarray(k, float) for k in tie_breakers]
    if len(keys[0]) == 0:
        return keys[0]
    order = np.lexsort(keys[::-1])
    stacked = np.stack([k[order] for k in keys])
    new_group = np.concatenate([[False], np.any(np.diff(stacked, axis=1) != 0, axis=0)])
    scores = np.empty(len(order))
    scores[order] = np.cumsum(new_group)
    return scores


def rearrange(order_scores: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Give the cells the values of ``expected`` sorted into the order of ``order_scores``.

    The highest-ranked cell gets the largest expected value, and so on; cells
    tied in ``order_scores`` get the mean of their block, so ties stay ties and
    the total is kept.

    Examples
    --------
    >>> rearrange(np.array([2.0, 0, 1]), np.array([0.1, 0.5, 0.4])).tolist()
    [0.5, 0.1, 0.4]
    """
    order_scores, expected = np.asarray(order_scores, float), np.asarray(expected, float)
    if order_scores.shape != expected.shape:
        raise ValueError("order_scores and expected need one value per cell")
    levels, block = np.unique(-order_scores, return_inverse=True)
    sorted_values = np.sort(expected)[::-1]
    ranked_block = np.sort(block)  # cells in rank order, by block
    sums = np.bincount(ranked_block, weights=sorted_values, minlength=len(levels))
    sizes = np.bincount(ranked_block, minlength=len(levels))
    return (sums / np.maximum(sizes, 1))[block]
