"""Hierarchical smoothing across H3 resolutions (empirical-Bayes shrinkage).

A cell with one past event and a cell with none are nearly indistinguishable
evidence at ~3 events a day, yet a cell in a busy district is likelier to see
the next event than one in an empty district. Shrinkage makes that precise.
Each cell's expected count is a Poisson–gamma posterior mean whose prior is
the rate per square metre of its H3 parent, itself shrunk towards its own
parent, up to the whole study area:

    m_c = rate_parent · area_c                  (prior expected count)
    estimate_c = m_c · (n_c + s) / (m_c + s)

``s`` (the prior's shape, in pseudo-events) sets the trust in the parent: a
cell whose parent expects many events (``m_c >> s``) keeps roughly its own
count ``n_c``, a cell in a sparse district (``m_c << s``) takes the district's
rate. ``s → 0`` is the raw count; ``s → ∞`` the coarsest rate spread by area.
The H3 index hierarchy is exact (every cell has one parent), so the levels nest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _shrink(prior_count: np.ndarray, count: np.ndarray, strength: float) -> np.ndarray:
    return prior_count * (count + strength) / (prior_count + strength)


def hierarchical_counts(
    counts: np.ndarray,
    area_m2: np.ndarray,
    groups_coarse_to_fine: Sequence[np.ndarray],
    strength: float,
) -> np.ndarray:
    """Expected count per cell, shrunk level by level towards its H3 ancestors.

    Parameters
    ----------
    counts : numpy.ndarray
        Past events (or decayed weights) per cell.
    area_m2 : numpy.ndarray
        Area per cell, square metres.
    groups_coarse_to_fine : sequence of numpy.ndarray
        For each ancestor level, coarsest first, the group number of every cell
        (see :func:`.grid.parent_groups`); groups must nest.
    strength : float
        Prior shape ``s`` in pseudo-events, >= 0 (0 returns ``counts``).

    Returns
    -------
    numpy.ndarray
        Shrunk expected counts; they keep the order of ``counts`` within a
        parent and break its ties by the parents' rates.

    Examples
    --------
    >>> counts = np.array([1.0, 0, 0, 1, 1, 1])
    >>> groups = [np.array([0, 0, 0, 1, 1, 1])]
    >>> est = hierarchical_counts(counts, np.ones(6), groups, 1.0)
    >>> bool(est[3] > est[0] > est[1])
    True
    """
    if not strength >= 0:
        raise ValueError(f"strength must be >= 0 pseudo-events, got {strength!r}")
    counts = np.asarray(counts, float)
    total = counts.sum()
    if strength == 0 or total <= 0:
        return counts.copy()
    rate_per_m2 = np.full(len(counts), total / float(np.sum(area_m2)))
    for groups in groups_coarse_to_fine:
        group_area = np.bincount(groups, weights=area_m2)[groups]
        group_count = np.bincount(groups, weights=counts)[groups]
        rate_per_m2 = _shrink(rate_per_m2 * group_area, group_count, strength) / group_area
    return _shrink(rate_per_m2 * area_m2, counts, strength)
