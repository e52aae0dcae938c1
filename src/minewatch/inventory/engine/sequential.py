"""A one-sided CUSUM on standardised trip differences, for small losses no single trip shows.

Why CUSUM (see docs/inventory.md): the loss we look for is a persistent shift of
the mean of the standardised difference ``z`` from 0 to a small ``delta`` (0.3 % of
the load is about 0.6 standard deviations of one trip). For a known pre- and
post-change mean, Page's CUSUM minimises the worst-case detection delay for a
given false-alarm run length (Lorden 1971, Moustakides 1986); it is one line of
state per series, and its run start tells when the drift began. An EWMA is
comparable but gives no change point; a fixed-window t-test is slower for the
same false-alarm rate.

``S_n = max(0, S_{n-1} + z_n - k)``, alarm when ``S_n > h``, then restart at 0.
Choose ``k = delta / 2``; ``h`` sets the in-control average run length (ARL0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class CusumAlarm:
    """One alarm: the run began at ``start_index`` and crossed ``h`` at ``alarm_index``.

    ``estimated_loss_t`` is the sum of the trips' differences over the run (tonnes),
    ``estimated_shift`` the mean standardised shift over the run.
    """

    start_index: int
    alarm_index: int
    statistic: float
    estimated_loss_t: float
    estimated_shift: float


def cusum_path(z: ArrayLike, k: float) -> NDArray[np.float64]:
    """The upper CUSUM statistic after each observation (no alarm, no restart).

    >>> cusum_path([1.0, 1.0, -3.0, 0.5], 0.5).tolist()
    [0.5, 1.0, 0.0, 0.0]
    """
    values = np.asarray(z, dtype=float)
    if k < 0:
        raise ValueError(f"k must be ≥ 0, got {k}")
    path = np.empty_like(values)
    statistic = 0.0
    for i, value in enumerate(values):
        statistic = max(0.0, statistic + value - k)
        path[i] = statistic
    return path


def cusum_alarms(
    z: ArrayLike, *, k: float, h: float, differences_t: ArrayLike | None = None
) -> list[CusumAlarm]:
    """Every alarm of a restarting upper CUSUM over ``z`` (in trip order).

    ``differences_t`` (tonnes missing per trip, same length) gives the loss estimate;
    without it the estimate is 0.

    Examples
    --------
    >>> [a.start_index for a in cusum_alarms([0, 2, 2, 2, 0, 3, 3], k=0.5, h=2.5)]
    [1, 3]
    """
    values = np.asarray(z, dtype=float)
    if h <= 0:
        raise ValueError(f"h must be > 0, got {h}")
    if np.any(~np.isfinite(values)):
        raise ValueError("z contains a non-finite value")
    tonnes = np.zeros_like(values) if differences_t is None else np.asarray(differences_t, float)
    if tonnes.shape != values.shape:
        raise ValueError("differences_t must have the same length as z")
    alarms: list[CusumAlarm] = []
    statistic, start = 0.0, 0
    for i, value in enumerate(values):
        if statistic == 0.0:
            start = i
        statistic = max(0.0, statistic + value - k)
        if statistic == 0.0:
            continue
        if statistic > h:
            run = slice(start, i + 1)
            alarms.append(CusumAlarm(start, i, float(statistic), float(tonnes[run].sum()),
                                     float(values[run].mean())))  # fmt: skip
            statistic = 0.0
    return alarms


def siegmund_arl(k: float, h: float, shift: float = 0.0) -> float:
    """Siegmund's approximation of a CUSUM's average run length for a unit-variance normal mean ``shift``.

    >>> round(siegmund_arl(0.5, 4.0))
    338
    """
    drift = shift - k
    b = h + 1.166
    if abs(drift) < 1e-9:
        return b * b
    return (math.exp(-2 * drift * b) + 2 * drift * b - 1) / (2 * drift * drift)
