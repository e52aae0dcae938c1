"""Forecast methods: each ranks the cells of a study area for the next days.

Every method has the same two steps, timed separately by the backtest:
``fit(history)`` learns from past events and ``predict(start_day,
horizon_days)`` returns the expected number of events per cell in
``[start_day, start_day + horizon_days)``. Times are float days since any
fixed UTC reference; cells are positions in a :class:`~.grid.StudyArea`.

Methods (see docs/forecasting.md for the measured comparison):

``naive``  count of all past events per cell (the baseline to beat);
``kde``    Gaussian kernel density of past events, optionally time-decayed;
``sepp``   grid self-exciting point process (Mohler et al. 2015), see sepp.py;
``blend``  MineWatch's default for sparse data: the mean of the cells' ranks
           in five maps (long-run count, H3 shrinkage, KDE, grid SEPP,
           recency), ties broken by count then a wide smoothing, times an
           optional covariate prior (see blend.py and ensemble.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minewatch.risk.engine.blend import Blend
from minewatch.risk.engine.grid import StudyArea, gaussian_operator
from minewatch.risk.engine.mixture import KernelMixture
from minewatch.risk.engine.sepp import (
    DEFAULT_RINGS,
    fit_grid_sepp,
    predict_grid_sepp,
    ring_table,
)


@dataclass(frozen=True)
class History:
    """Past events: cell position and time (days), sorted by time."""

    cell: np.ndarray
    t_days: np.ndarray

    def __post_init__(self) -> None:
        if len(self.cell) != len(self.t_days):
            raise ValueError("History needs one cell per time")


def _edge_m(area: StudyArea) -> float:
    return area.scale_edge_m()


def _decay_weights(t_days: np.ndarray, now_day: float, half_life_days: float | None) -> np.ndarray:
    if half_life_days is None:
        return np.ones(len(t_days))
    if not half_life_days > 0:
        raise ValueError(f"half_life_days must be > 0 days, got {half_life_days!r}")
    return np.exp2(-(now_day - t_days) / half_life_days)


class NaiveCount:
    """Count of past events per cell; expected events scale to the mean daily rate."""

    name = "naive"

    def __init__(self, area: StudyArea) -> None:
        self.area = area
        self.rate_per_day = np.zeros(area.n_cells)

    def fit(self, history: History) -> None:
        span = max(float(np.ptp(history.t_days)) if len(history.t_days) else 0.0, 1.0)
        self.rate_per_day = np.bincount(history.cell, minlength=self.area.n_cells) / span

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        return self.rate_per_day * horizon_days


class KdeHotspot:
    """Gaussian KDE of past events on the cells (Chainey-style hotspot map).

    ``bandwidth_m`` defaults to one cell edge; ``half_life_days`` (None = no
    decay) down-weights old events exponentially.
    """

    name = "kde"

    def __init__(
        self,
        area: StudyArea,
        bandwidth_m: float | None = None,
        half_life_days: float | None = None,
    ) -> None:
        self.area = area
        self.bandwidth_m = bandwidth_m or _edge_m(area)
        self.half_life_days = half_life_days
        self.operator = gaussian_operator(area, self.bandwidth_m)
        self.history = History(np.zeros(0, int), np.zeros(0))

    def fit(self, history: History) -> None:
        self.history = history

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        weights = _decay_weights(self.history.t_days, start_day, self.half_life_days)
        counts = np.bincount(self.history.cell, weights=weights, minlength=self.area.n_cells)
        total = counts.sum()
        if total == 0:
            return np.zeros(self.area.n_cells)
        span = max(float(np.ptp(self.history.t_days)), 1.0)
        return self.operator @ counts / total * (len(self.history.cell) / span) * horizon_days


class GridSepp:
    """Grid self-exciting point process fitted by EM (see :mod:`.sepp`).

    Triggering reaches ``rings`` H3 rings around each event's cell (its spatial
    kernel is fitted); ``fit_status`` says whether triggering could be fitted and,
    when not, that the forecast is the background alone (the naive count).
    """

    name = "sepp"

    def __init__(
        self,
        area: StudyArea,
        window_days: float = 120.0,
        iterations: int = 30,
        rings: int = DEFAULT_RINGS,
    ) -> None:
        self.area = area
        self.window_days = window_days
        self.iterations = iterations
        self.neighbours = ring_table(area, rings)
        self.model = None
        self.history = History(np.zeros(0, int), np.zeros(0))

    def fit(self, history: History) -> None:
        self.history = history
        self.model = fit_grid_sepp(
            history.cell,
            history.t_days,
            self.area.n_cells,
            window_days=self.window_days,
            iterations=self.iterations,
            neighbours=self.neighbours,
        )

    @property
    def fit_status(self) -> dict:
        if self.model is None:
            return {"method": self.name, "fitted": False, "reason": "not fitted yet",
                    "replaced_by": None}  # fmt: skip
        return self.model.fit_status

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        if self.model is None:
            raise ValueError("GridSepp.predict called before fit")
        return predict_grid_sepp(
            self.model,
            self.history.cell,
            self.history.t_days,
            start_day,
            horizon_days,
            self.neighbours,
        )


def fit_status(model) -> dict:
    """What a fitted method reports about its own fit (every method has one).

    ``fitted`` False means the method could not learn what it is for and
    ``replaced_by`` names what its forecast is instead; methods that cannot fail
    (naive, kde) report ``fitted`` True with nothing replaced.
    """
    status = getattr(model, "fit_status", None)
    if status is None:
        return {"method": model.name, "fitted": True, "reason": None, "replaced_by": None}
    return status


METHODS = {cls.name: cls for cls in (NaiveCount, KdeHotspot, GridSepp, Blend, KernelMixture)}


def make_method(name: str, area: StudyArea, **params):
    """Instantiate forecast method ``name`` ('naive', 'kde', 'sepp', 'blend', 'mixture')."""
    if name not in METHODS:
        raise ValueError(f"unknown forecast method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[name](area, **params)
