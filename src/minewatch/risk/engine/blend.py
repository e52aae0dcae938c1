"""MineWatch's sparse-data forecast ("blend"), self-tuned on the recent past.

At ~3 events a day most cells never see an event, so a raw count ranks a
handful of cells and ties the rest, while a fixed-bandwidth KDE is too sharp
in one district and too blurred in the next. The blend ranks cells by

    score = (1 - w_parent) · [(1 - w_recent) · G_b · n_all + w_recent · G_b · n_recent]
            + w_parent · parent share,

each term normalised to sum one, where ``G_b`` is a Gaussian spread of
bandwidth ``b`` over neighbouring cells, ``n_recent`` counts events with an
exponential half-life, and the parent share spreads the counts of each cell's
H3 ancestor ``parent_levels`` resolutions up evenly over its children
(hierarchical smoothing: a sparse cell borrows strength from its district).
An optional covariate ``prior`` (per cell, >= 0) multiplies the result.

**Self-tuning** (the part that wins on sparse data): every ``retune_days`` the
blend replays the last ``validation_days`` of its own history, day by day,
for each candidate (bandwidth × recency weight), and keeps the candidate that
captured most events at the target coverages. The choice is made only from
data before the predicted day, so the backtest stays honest.
"""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np

from minewatch.risk.engine.grid import StudyArea, gaussian_operator, parent_groups
from minewatch.risk.engine.metrics import expected_hits_at_coverage


def _normalised(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else values


class Blend:
    """Self-tuned blend of smoothed long-run and recent counts, shrunk to H3 parents.

    Parameters
    ----------
    area : StudyArea
    bandwidths_edges : sequence of float
        Candidate Gaussian bandwidths, in mean cell edge lengths.
    recent_weights : sequence of float
        Candidate weights of the recency term, 0..1.
    half_life_days : float
        Half-life of the recency term, days.
    w_parent : float
        Weight of the H3 parent share, 0..1.
    parent_levels : int
        How many resolutions up the parent is.
    validation_days, retune_days : int
        Replay window for tuning and how often to re-tune, days.
    tune_coverages : sequence of float
        Area fractions whose captured events are maximised.
    prior : numpy.ndarray, optional
        Covariate prior per cell (e.g. 1 + nearness to a corridor), >= 0.
    """

    name = "blend"

    def __init__(
        self,
        area: StudyArea,
        bandwidths_edges: Sequence[float] = (0.75, 1.5, 3.0, 6.0),
        recent_weights: Sequence[float] = (0.0, 0.3),
        half_life_days: float = 14.0,
        w_parent: float = 0.05,
        parent_levels: int = 2,
        validation_days: int = 60,
        retune_days: int = 7,
        tune_coverages: Sequence[float] = (0.05, 0.10),
        prior: np.ndarray | None = None,
    ) -> None:
        if not 0 <= w_parent <= 1 or not all(0 <= w <= 1 for w in recent_weights):
            raise ValueError("w_parent and recent_weights must be weights in [0, 1]")
        if not bandwidths_edges or min(bandwidths_edges) <= 0:
            raise ValueError(f"bandwidths_edges must be > 0 cell edges, got {bandwidths_edges!r}")
        if not half_life_days > 0:
            raise ValueError(f"half_life_days must be > 0 days, got {half_life_days!r}")
        self.area = area
        edge_m = float(h3.average_hexagon_edge_length(area.resolution, unit="m"))
        self.operators = [gaussian_operator(area, b * edge_m) for b in bandwidths_edges]
        self.candidates = [(b, w) for b in range(len(self.operators)) for w in recent_weights]
        self.half_life_days, self.w_parent = half_life_days, w_parent
        levels = min(parent_levels, area.resolution)
        self.groups = parent_groups(area, levels) if levels > 0 else np.arange(area.n_cells)
        self.group_area = np.bincount(self.groups, weights=area.area_m2)
        self.validation_days, self.retune_days = validation_days, retune_days
        self.tune_coverages = tuple(tune_coverages)
        self.prior = _check_prior(area, prior)
        self.chosen = self.candidates[len(self.candidates) // 2]
        self.tuned_at: float | None = None
        self.cell = np.zeros(0, dtype=np.int64)
        self.t_days = np.zeros(0)

    def fit(self, history) -> None:
        """Keep the history (``.cell``, ``.t_days`` sorted by time) and re-tune when due."""
        self.cell, self.t_days = np.asarray(history.cell), np.asarray(history.t_days, float)
        if len(self.t_days) == 0:
            return
        now = float(np.floor(self.t_days[-1])) + 1.0
        if self.tuned_at is None or now - self.tuned_at >= self.retune_days:
            self.chosen = self._tune(now)
            self.tuned_at = now

    def _score(self, n: int, start_day: float, candidate: tuple[int, float]) -> np.ndarray:
        cells, t_days = self.cell[:n], self.t_days[:n]
        operator, w_recent = self.operators[candidate[0]], candidate[1]
        counts = np.bincount(cells, minlength=self.area.n_cells).astype(float)
        local = (1 - w_recent) * _normalised(operator @ counts)
        if w_recent > 0:
            decay = np.exp2(-(start_day - t_days) / self.half_life_days)
            recent = np.bincount(cells, weights=decay, minlength=self.area.n_cells)
            local += w_recent * _normalised(operator @ recent)
        group_counts = np.bincount(self.groups, weights=counts, minlength=len(self.group_area))
        parent = _normalised(group_counts[self.groups] / self.group_area[self.groups])
        score = (1 - self.w_parent) * local + self.w_parent * _normalised(
            parent * self.area.area_m2
        )
        score += 1e-9 * self.area.area_m2 / self.area.total_area_m2
        return score if self.prior is None else _normalised(score * self.prior)

    def _tune(self, now: float) -> tuple[int, float]:
        captured = np.zeros(len(self.candidates))
        for day in np.arange(now - self.validation_days, now):
            n_before = int(np.searchsorted(self.t_days, day, side="left"))
            n_until = int(np.searchsorted(self.t_days, day + 1, side="left"))
            if n_before == 0 or n_until == n_before:
                continue
            hits = np.bincount(self.cell[n_before:n_until], minlength=self.area.n_cells)
            for index, candidate in enumerate(self.candidates):
                score = self._score(n_before, day, candidate)
                captured[index] += sum(
                    expected_hits_at_coverage(score, self.area.area_m2, hits, c)
                    for c in self.tune_coverages
                )
        if not captured.any():
            return self.chosen
        return self.candidates[int(np.argmax(captured))]

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        """Expected events per cell in ``[start_day, start_day + horizon_days)``."""
        if len(self.cell) == 0:
            return np.zeros(self.area.n_cells) if self.prior is None else self.prior.copy()
        score = self._score(len(self.cell), start_day, self.chosen)
        rate_per_day = len(self.cell) / max(float(np.ptp(self.t_days)), 1.0)
        return score * rate_per_day * horizon_days


def _check_prior(area: StudyArea, prior: np.ndarray | None) -> np.ndarray | None:
    if prior is None:
        return None
    prior = np.asarray(prior, float)
    if prior.shape != (area.n_cells,) or np.any(prior < 0) or not np.all(np.isfinite(prior)):
        raise ValueError(f"prior must be {area.n_cells} finite values >= 0, one per cell")
    return prior
