"""Kernel mixture fitted by leave-future-out likelihood ("mixture").

At ~1 event per cell the question a forecast must answer is *how far* past
events spread their risk: on one dataset the next event lands in the same
cell as an old one (a street address, a mine gate), on another it lands
anywhere within a few kilometres of past ones (a disease in a rural district).
Choosing that spread by the hit rate of a few validation days is noise (the
standard error of ~150 validation events is ~0.03). The *likelihood* of every
past event uses each event's full information, not just whether it fell in
the top 5 %, so it is a much steadier guide.

The forecast is a mixture of normalised maps, each a probability per cell:

* ``count`` — share of past events in the cell (no spread);
* ``kde b m`` — past events spread by a Gaussian of ``b`` metres;
* ``recent b m h d`` — the same with events weighted ``2^(-age/h)`` (self-excitation);
* ``count h d`` — time-decayed counts, no spread (repeats at the same place);
* ``uniform`` — the cell's share of the study area (the floor);
* ``covariate …`` — optional static maps the domain gives for free (nearness to
  routes, sites, risk zones: :mod:`.covariates`), weighed like the others.

Its weights ``π`` maximise the leave-future-out log-likelihood
``Σ_i log Σ_k π_k f_k(c_i | events before day_i)`` over the last
``window_events`` past events, by EM (a concave problem: the optimum is
unique). Each past event ``i`` is scored by maps built only from the events of
the days *before* its own day, exactly as a daily forecast is made, so the
fit never sees an event's own day, and the model never sees the predicted day.
The per-event map values depend only on the events before them, so they are
cached across fits while the history grows by appending (the backtest's case).

**The scales are chosen from the data, per fit.** The candidates are in metres
and days, not in cell edges or fixed constants: bandwidths from 25 m to 25.6 km
(doubling; those below half a cell edge are the count itself and those wider
than the study area are the uniform floor, so both are dropped) and half-lives
from 3 hours to a year. Each fit re-weighs them by the predictive likelihood of
the latest past events (a rolling validation window of ``window_events``
events, each scored only from the days before its own), so a dataset whose
clustering lives at hours and kilometres puts its weight there and one at
months and hundreds of metres puts it there; ``chosen_scales`` reports what was
chosen. Bandwidths wider than about five cell edges are applied on the grid's
parent cells (a Gaussian between parents, then shared among the children by
area), which keeps a 25 km kernel on 100 m cells cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from minewatch.risk.engine.covariates import check_covariates
from minewatch.risk.engine.grid import (
    StudyArea,
    check_prior,
    gaussian_operator,
    gaussian_operator_xy,
    parent_groups,
)

CANDIDATE_BANDWIDTHS_M = tuple(25.0 * 2**k for k in range(11))  # 25 m .. 25.6 km
CANDIDATE_HALF_LIVES_DAYS = (0.125, 0.5, 2.0, 7.0, 30.0, 120.0, 365.0)  # 3 h .. 1 year
RECENT_BANDWIDTH_STEP = 2  # recency maps at every other bandwidth (×4 apart), and unspread
COARSE_RATIO = 2.0  # a bandwidth >= this many parent edges is applied on the parents


class Spread:
    """A Gaussian spread of per-cell weights over the area (or none: ``bandwidth_m`` 0).

    Narrow bandwidths are one sparse cell-to-cell matrix; a bandwidth of at least
    ``COARSE_RATIO`` edges of an H3 ancestor is applied between the ancestors
    (aggregate, spread, share back among the children by area), which bounds
    the work at any bandwidth. Either way the spread conserves the total weight.
    """

    def __init__(self, area: StudyArea, bandwidth_m: float) -> None:
        self.bandwidth_m = bandwidth_m
        self.fine = self.aggregate = self.back = None
        if bandwidth_m == 0:
            return
        levels_up = 0
        for up in range(1, area.max_levels_up + 1):
            parent_edge = area.edge_m(up)
            if bandwidth_m / parent_edge < COARSE_RATIO:
                break
            levels_up = up
        if levels_up == 0:
            self.fine = gaussian_operator(area, bandwidth_m).tocsr()
            return
        groups = parent_groups(area, levels_up)
        n_groups = int(groups.max()) + 1
        cells = np.arange(area.n_cells)
        self.aggregate = sparse.csr_matrix(
            (np.ones(area.n_cells), (groups, cells)), shape=(n_groups, area.n_cells)
        )
        group_area = np.bincount(groups, weights=area.area_m2)
        gx = np.bincount(groups, weights=area.x_m * area.area_m2) / group_area
        gy = np.bincount(groups, weights=area.y_m * area.area_m2) / group_area
        self.fine = gaussian_operator_xy(gx, gy, bandwidth_m).tocsr()
        self.back = sparse.csr_matrix(
            (area.area_m2 / group_area[groups], (cells, groups)), shape=(area.n_cells, n_groups)
        )

    def rows(self, at_cells: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The spread map at ``at_cells``."""
        if self.fine is None:
            return weights[at_cells]
        if self.back is None:
            return self.fine[at_cells] @ weights
        return self.back[at_cells] @ (self.fine @ (self.aggregate @ weights))


def fit_mixture_weights(
    densities: np.ndarray,
    iterations: int = 200,
    tolerance: float = 1e-9,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Mixture weights maximising ``Σ_i log Σ_k π_k densities[i, k]`` (EM).

    Parameters
    ----------
    densities : numpy.ndarray
        ``(events, components)`` probability each component gave each event, >= 0.
    iterations : int
        Most EM steps.
    tolerance : float
        Stop when no weight moves more than this.
    start : numpy.ndarray, optional
        Weights (> 0, summing to one) to start from; default equal weights. The
        optimum does not depend on it, but with few events the likelihood barely
        tells some maps apart and the weights stay near the start.

    Returns
    -------
    numpy.ndarray
        Weights >= 0 summing to one (equal weights when there is no event).

    Examples
    --------
    >>> fit_mixture_weights(np.array([[0.9, 0.1], [0.8, 0.1]])).round(2).tolist()
    [1.0, 0.0]
    """
    densities = np.asarray(densities, float)
    if densities.ndim != 2 or densities.shape[1] == 0:
        raise ValueError("densities must be a 2-D array (events, components)")
    if np.any(densities < 0) or not np.all(np.isfinite(densities)):
        raise ValueError("densities must be finite and >= 0")
    n_components = densities.shape[1]
    weights = np.full(n_components, 1.0 / n_components) if start is None else np.array(start)
    usable = densities[densities.sum(axis=1) > 0]
    if len(usable) == 0:
        return weights
    for _ in range(iterations):
        mixed = usable @ weights
        updated = weights * (usable.T @ (1.0 / mixed)) / len(usable)
        updated /= updated.sum()
        moved = float(np.max(np.abs(updated - weights)))
        weights = updated
        if moved < tolerance:
            break
    return weights


class KernelMixture:
    """Mixture of count, Gaussian-spread, recency and decayed-count maps; weights by likelihood.

    Parameters
    ----------
    area : StudyArea
    bandwidths_m : sequence of float, optional
        Candidate Gaussian bandwidths, metres (> 0); default 25 m .. 25.6 km, keeping
        those between half a cell edge and the study area's diameter.
    half_lives_days : sequence of float, optional
        Candidate half-lives of the recency and decayed-count maps, days (> 0);
        default 3 hours .. 1 year.
    window_events : int
        The weights are fitted on at most this many of the latest past events.
    min_past_events : int
        A past event is scored only when at least this many events precede its day.
    iterations : int
        Most EM steps per fit.
    prior : numpy.ndarray, optional
        Covariate prior per cell (>= 0) multiplying the forecast.
    covariates : mapping of str to numpy.ndarray, optional
        Static maps per cell (>= 0; e.g. :func:`.covariates.geography_maps`), each a
        further component whose weight is fitted with the others.

    Examples
    --------
    >>> model = KernelMixture(area)  # doctest: +SKIP
    >>> model.fit(history); model.predict(day, 1.0).shape == (area.n_cells,)  # doctest: +SKIP
    True
    """

    name = "mixture"

    def __init__(
        self,
        area: StudyArea,
        bandwidths_m: Sequence[float] | None = None,
        half_lives_days: Sequence[float] | None = None,
        window_events: int = 1500,
        min_past_events: int = 5,
        iterations: int = 200,
        prior: np.ndarray | None = None,
        covariates: dict[str, np.ndarray] | None = None,
    ) -> None:
        half_lives = tuple(half_lives_days or CANDIDATE_HALF_LIVES_DAYS)
        _check(bandwidths_m or (), half_lives, window_events, min_past_events)
        self.area = area
        bandwidths = candidate_bandwidths(area, bandwidths_m)
        recent_bandwidths = [0.0, *bandwidths[::RECENT_BANDWIDTH_STEP]]
        self.spreads = {b: Spread(area, b) for b in {0.0, *bandwidths}}
        # (name, bandwidth m or None for a static map, half-life days or None)
        self.components: list[tuple[str, float | None, float | None]] = [
            ("count", 0.0, None),
            ("uniform", None, None),
            *((f"kde {b:g} m", b, None) for b in bandwidths),
            *(
                (f"recent {b:g} m {h:g} d" if b else f"count {h:g} d", b, h)
                for h in half_lives
                for b in recent_bandwidths
            ),
        ]
        self.area_share = area.area_m2 / area.total_area_m2
        # static maps by component position: the floor, then the covariates
        self.static: dict[int, np.ndarray] = {1: self.area_share}
        for name, values in check_covariates(area, covariates).items():
            self.static[len(self.components)] = values
            self.components.append((f"covariate {name}", None, None))
        self.window_events, self.min_past_events = window_events, min_past_events
        self.iterations = iterations
        self.prior = check_prior(area, prior)
        self.start = family_start(self.component_names)
        self.weights = self.start.copy()
        self.scored_events = 0
        self._densities: np.ndarray | None = None
        self._scales: dict | None = None
        self.cell = np.zeros(0, dtype=np.int64)
        self.t_days = np.zeros(0)
        self._cache_cell = np.zeros(0, dtype=np.int64)
        self._cache_t = np.zeros(0)
        self._cache_rows: dict[int, np.ndarray] = {}

    @property
    def component_names(self) -> list[str]:
        return [name for name, _, _ in self.components]

    @property
    def weights_by_component(self) -> dict[str, float]:
        """The fitted weights, keyed by component name."""
        return {n: float(w) for n, w in zip(self.component_names, self.weights, strict=True)}

    def fit(self, history) -> None:
        """Fit the mixture weights on the events of ``history`` (``.cell``, ``.t_days`` by time)."""
        self.cell = np.asarray(history.cell, np.int64)
        self.t_days = np.asarray(history.t_days, float)
        if np.any(np.diff(self.t_days) < 0):
            raise ValueError("history must be sorted by time")
        self._keep_valid_cache()
        n = len(self.cell)
        day = np.floor(self.t_days)
        before = np.searchsorted(self.t_days, day, side="left")  # events before each one's day
        targets = [
            i for i in range(max(0, n - self.window_events), n) if before[i] >= self.min_past_events
        ]
        missing = np.array([i for i in targets if i not in self._cache_rows], dtype=np.int64)
        for rows in np.split(missing, np.nonzero(np.diff(day[missing]))[0] + 1):
            if len(rows) == 0:
                continue
            values = self._component_values(int(before[rows[0]]), day[rows[0]], self.cell[rows])
            self._cache_rows.update(zip(rows.tolist(), values, strict=True))
        self._cache_cell, self._cache_t = self.cell.copy(), self.t_days.copy()
        self.scored_events = len(targets)
        self._scales = None
        if targets:
            densities = np.array([self._cache_rows[i] for i in targets])
            self._densities = densities
            self.weights = fit_mixture_weights(densities, self.iterations, start=self.start)
        else:
            self._densities = None
            self.weights = self.start.copy()

    @property
    def chosen_scales(self) -> dict:
        """The time and space scale the fit's events point to, and the heaviest maps.

        ``half_life_days`` is the candidate half-life whose recency maps, added to the
        static maps (count, kde, uniform), raise the validation events' likelihood
        most; ``bandwidth_m`` the candidate bandwidth whose maps (kde and recency at
        that bandwidth), beside the uniform floor, explain them best (0: no spread,
        the cell itself). Both are profile likelihoods on the same leave-future-out
        events as the weights; ``recency_weight`` is the weight the full mixture gives
        to time-decayed maps.
        """
        if self._scales is None:
            self._scales = self._profile_scales()
        return self._scales

    def _profile_scales(self) -> dict:
        densities = self._densities
        top = np.argsort(-self.weights)[:3]
        decayed = np.array([h is not None for _, _, h in self.components])
        out = {
            "half_life_days": None,
            "bandwidth_m": None,
            "recency_weight": round(float(self.weights[decayed].sum()), 4),
            "top": {self.components[k][0]: round(float(self.weights[k]), 4) for k in top},
        }
        if densities is None or len(densities) == 0:
            return out

        def loglik(columns: list[int]) -> float:
            sub = densities[:, columns]
            weights = fit_mixture_weights(sub, self.iterations)
            return float(np.log(np.maximum(sub @ weights, 1e-300)).sum())

        static = [k for k, (_, b, h) in enumerate(self.components) if b is not None and h is None]
        static.append(1)  # the uniform floor
        half_lives = sorted({h for _, _, h in self.components if h is not None})
        by_half_life = {
            h: loglik(static + [k for k, c in enumerate(self.components) if c[2] == h])
            for h in half_lives
        }
        bandwidths = sorted({b for _, b, _ in self.components if b is not None})
        by_bandwidth = {
            b: loglik([1] + [k for k, c in enumerate(self.components) if c[1] == b])
            for b in bandwidths
        }
        out["half_life_days"] = max(by_half_life, key=by_half_life.get) if half_lives else None
        out["bandwidth_m"] = max(by_bandwidth, key=by_bandwidth.get) if bandwidths else None
        return out

    @property
    def fit_status(self) -> dict:
        """Whether the weights were fitted; with too few past events, the start."""
        fitted = self.scored_events > 0
        return {
            "method": self.name,
            "fitted": fitted,
            "reason": None
            if fitted
            else f"fewer than {self.min_past_events} events before any past event's day; "
            "nothing to weigh the maps on",
            "replaced_by": None if fitted else "equal weights per family of maps",
            "scored_events": self.scored_events,
            "chosen_scales": self.chosen_scales,
        }

    def _keep_valid_cache(self) -> None:
        """Drop cached rows unless the new history starts with the cached one's events."""
        common = min(len(self._cache_cell), len(self.cell))
        same = np.array_equal(self._cache_cell[:common], self.cell[:common]) and np.array_equal(
            self._cache_t[:common], self.t_days[:common]
        )
        if not same:
            self._cache_rows = {}
        else:  # a row depends only on events before its own, all inside the common prefix
            self._cache_rows = {i: v for i, v in self._cache_rows.items() if i < common}

    def _weights_per_cell(self, n_past: int, now_day: float, half_life: float | None):
        cells, t_days = self.cell[:n_past], self.t_days[:n_past]
        weights = None if half_life is None else np.exp2(-(now_day - t_days) / half_life)
        return np.bincount(cells, weights=weights, minlength=self.area.n_cells).astype(float)

    def _component_values(self, n_past: int, now_day: float, at_cells: np.ndarray) -> np.ndarray:
        """``(len(at_cells), components)``: each map's probability at ``at_cells``.

        One weight column per half-life (normalised to sum one), spread once per
        bandwidth for all half-lives together.
        """
        out = np.zeros((len(at_cells), len(self.components)))
        half_lives = sorted({h for _, b, h in self.components if b is not None}, key=str)
        column = {h: j for j, h in enumerate(half_lives)}
        weights = np.column_stack([self._weights_per_cell(n_past, now_day, h) for h in half_lives])
        totals = weights.sum(axis=0)
        weights = weights / np.where(totals > 0, totals, 1.0)
        spread = {b: self.spreads[b].rows(at_cells, weights) for b in self.spreads}
        for k, (_, bandwidth, half_life) in enumerate(self.components):
            if bandwidth is None:
                out[:, k] = self.static[k][at_cells]
            else:
                out[:, k] = spread[bandwidth][:, column[half_life]]
        return out

    def maps(self, start_day: float) -> np.ndarray:
        """``(components, cells)``: every component's probability map on the whole history."""
        return self._component_values(len(self.cell), start_day, np.arange(self.area.n_cells)).T

    def horizon_weights(self, horizon_days: float) -> np.ndarray:
        """The weights for a horizon longer than the one day they were fitted for.

        A recency map is a passing excess: over ``horizon_days`` its weight is scaled
        by its decay averaged over the horizon relative to the average over one day
        (a 3-hour half-life keeps 0.3 % of its weight for a year, a one-year
        half-life 72 %), and what it loses goes to the maps without decay in their
        proportions. One day or less: the fitted weights unchanged.
        """
        if horizon_days <= 1.0:
            return self.weights
        weights = self.weights.copy()
        decayed = np.array([h is not None for _, _, h in self.components])
        for k, (_, _, half_life) in enumerate(self.components):
            if half_life is not None:
                weights[k] *= _mean_decay(half_life, horizon_days) / _mean_decay(half_life, 1.0)
        lost = self.weights.sum() - weights.sum()
        static = weights[~decayed].sum()
        if static > 0:
            weights[~decayed] += lost * weights[~decayed] / static
        return weights / weights.sum()

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        """Expected events per cell in ``[start_day, start_day + horizon_days)``."""
        if len(self.cell) == 0:
            return np.zeros(self.area.n_cells) if self.prior is None else self.prior.copy()
        share = self.horizon_weights(horizon_days) @ self.maps(start_day)
        if self.prior is not None:
            share = share * self.prior
            share = share / share.sum() if share.sum() > 0 else share
        rate_per_day = len(self.cell) / max(float(np.ptp(self.t_days)), 1.0)
        return share * rate_per_day * horizon_days


def family_start(names: Sequence[str]) -> np.ndarray:
    """EM's start: equal weight per family (count, uniform, kde, recency, covariates), split
    equally inside it, so offering more candidate scales of one kind does not tilt the
    weights towards that kind where the events cannot tell the maps apart."""
    family = [
        "recent" if name.startswith("recent") or (name.startswith("count ")) else name.split()[0]
        for name in names
    ]
    sizes = {f: family.count(f) for f in family}
    start = np.array([1.0 / sizes[f] for f in family]) / len(sizes)
    return start / start.sum()


def _mean_decay(half_life_days: float, horizon_days: float) -> float:
    """Mean of ``2^(-τ/h)`` over ``τ`` in ``[0, horizon]``."""
    rate = np.log(2.0) / half_life_days
    return float(-np.expm1(-rate * horizon_days) / (rate * horizon_days))


def candidate_bandwidths(area: StudyArea, bandwidths_m: Sequence[float] | None) -> list[float]:
    """The candidate bandwidths that differ from the count and the uniform map on ``area``.

    Below half a cell edge a Gaussian keeps nearly all of a cell's weight in the
    cell (the count); wider than the area's diameter it is nearly flat (the
    uniform floor). Explicit ``bandwidths_m`` are kept as given.
    """
    if bandwidths_m:
        return sorted(float(b) for b in bandwidths_m)
    edge_m = area.scale_edge_m()
    diameter = float(np.hypot(np.ptp(area.x_m), np.ptp(area.y_m))) + 2 * edge_m
    kept = [b for b in CANDIDATE_BANDWIDTHS_M if edge_m / 2 <= b <= diameter]
    return kept or [edge_m]


def _check(bandwidths_m, half_lives_days, window_events, min_past_events) -> None:
    if any(not b > 0 for b in bandwidths_m):
        raise ValueError("bandwidths_m must be > 0 metres")
    if any(not h > 0 for h in half_lives_days):
        raise ValueError("half_lives_days must be > 0 days")
    if not isinstance(window_events, int) or window_events < 1:
        raise ValueError(f"window_events must be a whole number >= 1, got {window_events!r}")
    if not isinstance(min_past_events, int) or min_past_events < 1:
        raise ValueError(f"min_past_events must be a whole number >= 1, got {min_past_events!r}")
