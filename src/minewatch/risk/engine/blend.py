"""MineWatch's sparse-data forecast ("blend"): a rank-averaged ensemble (default) or a chooser.

**Default (``ensemble="rank"``)**: the cells are ordered by the weighted mean
of the *ranks* of five member maps, all computed on the history only — the
long-run count, the count shrunk across H3 resolutions (``member_shrink``),
the count smoothed by a Gaussian (``member_bandwidth_edges``), the grid
SEPP's expected count for the horizon, and the recency term (below) — with
ties broken lexicographically by the long-run count, then by a wide smoothing
of the counts (see :mod:`.ensemble`). No choice is made from validation days,
so there is nothing to re-tune and nothing noisy to pick. The returned values
are expected events per cell: the weighted mean of the members' normalised
maps, rearranged into the ensemble's order, scaled to the mean daily rate.

**Chooser (``ensemble="choose"``, the previous default)**: a self-tuned stack.

At ~3 events a day most cells never see an event, so the ranking that wins is
the one that orders the few cells with history well *and* breaks the many ties
among the rest with real information. The blend ranks cells by

    score = (1 - w) · base + w · recent + ε · wide + ε² · area share,

each term normalised to sum one, where

* ``base`` is one of: the raw long-run count; the count shrunk across H3
  resolutions (:mod:`.hierarchy`, empirical Bayes with prior shape ``s``);
  the count smoothed by a Gaussian of bandwidth ``b`` cell edges; or the grid
  SEPP's expected count (background plus self-excitation, :mod:`.sepp`);
* ``recent`` is the self-exciting part: events weighted by ``2^(-age/h)``
  (half-life ``h`` days) spread over neighbours by a Gaussian of
  ``recent_bandwidth_edges``, so a fresh event lifts the cells around it;
* ``ε · wide`` (``tie_break``, tiny) orders cells the other terms tie, by a
  wide smoothing of the long-run counts; the area share orders what is left.
  A raw count ties every cell with the same count; this keeps the count's
  order and only decides inside ties (lexicographic in effect);
* an optional covariate ``prior`` (per cell, >= 0) multiplies the result.

**Self-tuning**: every ``retune_days`` the blend replays its own recent past
(the days holding the last ``validation_events`` events, at least
``validation_days`` days), training on the events before each replayed day
exactly as the backtest does, and keeps the candidate (base × recent weight
× half-life) that captured most events at ``tune_coverages``. Only data before
the predicted day is used, so a backtest of the blend stays honest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minewatch.risk.engine.ensemble import average_ranks, lexicographic, rearrange
from minewatch.risk.engine.grid import StudyArea, check_prior, gaussian_operator, parent_groups
from minewatch.risk.engine.hierarchy import hierarchical_counts
from minewatch.risk.engine.metrics import expected_hits_at_coverages
from minewatch.risk.engine.sepp import fit_grid_sepp, predict_grid_sepp

MIN_TRAINING_EVENTS = 5
ENSEMBLES = ("rank", "choose")
DEFAULT_MEMBER_WEIGHTS = {"count": 1.0, "shrink": 1.0, "kde": 1.0, "sepp": 1.0, "recent": 1.0}


def _normalised(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else values


class Blend:
    """Rank-averaged ensemble of count, H3 shrinkage, KDE, SEPP and recency (or the chooser).

    Parameters
    ----------
    area : StudyArea
    bandwidths_edges : sequence of float
        Candidate Gaussian bandwidths of the smoothed base, in cell edges.
    recent_weights : sequence of float
        Candidate weights ``w`` of the recency (self-exciting) term, 0..1.
    half_life_days : float
        Half-life of the recency term, days (see also ``half_lives_days``).
    w_parent : float
        Extra weight of the H3 parent's rate spread by area, 0..1 (0 = off;
        the shrinkage bases already use the parents).
    parent_levels : int
        How many H3 resolutions up the shrinkage goes.
    validation_days, retune_days : int
        Least replay window for tuning and how often to re-tune, days.
    tune_coverages : sequence of float
        Area fractions whose captured events are maximised.
    prior : numpy.ndarray, optional
        Covariate prior per cell (e.g. 1 + nearness to a corridor), >= 0.
    shrink_strengths : sequence of float
        Candidate prior shapes ``s`` of the hierarchical shrinkage, pseudo-events.
    half_lives_days : sequence of float, optional
        Candidate half-lives of the recency term, days (default: ``half_life_days``).
    recent_bandwidth_edges : float
        Spread of the recency term, cell edges.
    tie_break : float
        Weight ``ε`` of the wide smoothing that orders ties (0 = none).
    validation_events : int
        Replay at least the days holding this many recent events.
    use_sepp : bool
        Offer the grid SEPP as a base candidate (chooser) or member (rank).
    ensemble : {"rank", "choose"}
        Rank-average the members (default) or choose one candidate by replay.
    member_weights : mapping of str to float, optional
        Weights of the rank members ``count``, ``shrink``, ``kde``, ``sepp``,
        ``recent`` (default: 1 each), >= 0.
    member_shrink : float
        Prior shape of the ``shrink`` member, pseudo-events.
    member_bandwidth_edges : float
        Bandwidth of the ``kde`` member, cell edges.

    Examples
    --------
    >>> model = Blend(area)  # doctest: +SKIP
    >>> model.fit(history); model.predict(day, 1.0).shape == (area.n_cells,)  # doctest: +SKIP
    True
    """

    name = "blend"

    def __init__(
        self,
        area: StudyArea,
        bandwidths_edges: Sequence[float] = (0.75, 1.5, 3.0, 6.0),
        recent_weights: Sequence[float] = (0.0, 0.1, 0.3),
        half_life_days: float = 14.0,
        w_parent: float = 0.0,
        parent_levels: int = 3,
        validation_days: int = 60,
        retune_days: int = 7,
        tune_coverages: Sequence[float] = (0.05, 0.10),
        prior: np.ndarray | None = None,
        shrink_strengths: Sequence[float] = (0.3, 1.0, 3.0),
        half_lives_days: Sequence[float] | None = None,
        recent_bandwidth_edges: float = 1.5,
        tie_break: float = 1e-3,
        validation_events: int = 150,
        use_sepp: bool = True,
        ensemble: str = "rank",
        member_weights: dict[str, float] | None = None,
        member_shrink: float = 1.0,
        member_bandwidth_edges: float = 1.5,
    ) -> None:
        half_lives = tuple(half_lives_days or (half_life_days,))
        _check_arguments(recent_weights, w_parent, bandwidths_edges, half_lives, shrink_strengths)
        self.area = area
        edge_m = area.scale_edge_m()
        self.operators = [gaussian_operator(area, b * edge_m) for b in bandwidths_edges]
        self.recent_operator = gaussian_operator(area, recent_bandwidth_edges * edge_m)
        self.wide_operator = self.operators[int(np.argmax(bandwidths_edges))]
        levels = min(parent_levels, area.max_levels_up)
        self.groups = [parent_groups(area, k) for k in range(levels, 0, -1)]
        self.bases = (
            [("count", 0)]
            + [("shrink", s) for s in shrink_strengths]
            + [("kde", i) for i in range(len(self.operators))]
            + ([("sepp", 0)] if use_sepp else [])
        )
        recents = [(0.0, half_lives[0])] + [
            (w, h) for w in recent_weights if w > 0 for h in half_lives
        ]
        self.candidates = [(b, w, h) for b in range(len(self.bases)) for w, h in recents]
        self.w_parent, self.tie_break = w_parent, tie_break
        self.validation_days, self.retune_days = validation_days, retune_days
        self.validation_events = validation_events
        self.tune_coverages = tuple(tune_coverages)
        self.prior = check_prior(area, prior)
        self.half_lives = half_lives
        self.chosen = (1, 0.0, half_lives[0])  # shrinkage, no recency, until tuned
        self.tuned_at: float | None = None
        self._replay_sepp = None  # one SEPP fit shared by the replayed days of a tune
        self.cell = np.zeros(0, dtype=np.int64)
        self.t_days = np.zeros(0)
        self.ensemble = _check_ensemble(ensemble)
        self.member_weights = _member_weights(member_weights, use_sepp)
        self.member_shrink = member_shrink
        self.member_operator = gaussian_operator(area, member_bandwidth_edges * edge_m)
        self.member_sepp = None

    @property
    def chosen_description(self) -> str:
        """The candidate in use, e.g. ``'shrink(1.0) + 0.1 recent(h=14 d)'``, or the rank members."""
        if self.ensemble == "rank":
            members = ", ".join(f"{k} {w:g}" for k, w in self.member_weights.items() if w > 0)
            return f"rank mean ({members}) | count | wide"
        (kind, value), w, h = self.bases[self.chosen[0]], self.chosen[1], self.chosen[2]
        base = {"count": "count", "sepp": "sepp"}.get(kind) or (
            f"shrink({value})" if kind == "shrink" else f"kde(#{value})"
        )
        return base if w == 0 else f"{base} + {w} recent(h={h:g} d)"

    def fit(self, history) -> None:
        """Keep the history (``.cell``, ``.t_days`` sorted by time) and re-tune when due."""
        self.cell, self.t_days = np.asarray(history.cell), np.asarray(history.t_days, float)
        if len(self.t_days) == 0:
            return
        if self.ensemble == "rank":
            if self.member_weights.get("sepp", 0) > 0:
                self.member_sepp = fit_grid_sepp(
                    self.cell, self.t_days, self.area.n_cells, 120.0, 15
                )
            return
        now = float(np.floor(self.t_days[-1])) + 1.0
        if self.tuned_at is None or now - self.tuned_at >= self.retune_days:
            self.chosen = self._tune(now)
            self.tuned_at = now

    def _base(self, index: int, counts: np.ndarray, n: int, day: float) -> np.ndarray:
        kind, value = self.bases[index]
        if kind == "count":
            return counts
        if kind == "shrink":
            return hierarchical_counts(counts, self.area.area_m2, self.groups, value)
        if kind == "kde":
            return self.operators[value] @ counts
        cells, t_days = self.cell[:n], self.t_days[:n]
        model = self._replay_sepp or fit_grid_sepp(cells, t_days, self.area.n_cells, iterations=15)
        return predict_grid_sepp(model, cells, t_days, day, 1.0)

    def _terms(self, n: int, day: float, bases, half_lives) -> tuple[dict, dict, np.ndarray]:
        """Normalised base, recent and tie-break terms on the first ``n`` events."""
        cells, t_days = self.cell[:n], self.t_days[:n]
        counts = np.bincount(cells, minlength=self.area.n_cells).astype(float)
        base = {b: _normalised(self._base(b, counts, n, day)) for b in bases}
        recent = {}
        for h in half_lives:
            decayed = np.bincount(
                cells, weights=np.exp2(-(day - t_days) / h), minlength=len(counts)
            )
            recent[h] = _normalised(self.recent_operator @ decayed)
        extra = self.tie_break * _normalised(self.wide_operator @ counts)
        extra += self.tie_break**2 * self.area.area_m2 / self.area.total_area_m2
        if self.w_parent > 0:
            groups, area_m2 = self.groups[-1], self.area.area_m2
            per_m2 = np.bincount(groups, weights=counts) / np.bincount(groups, weights=area_m2)
            extra += self.w_parent * _normalised(per_m2[groups] * area_m2)
        return base, recent, extra

    def _combine(self, terms, candidate) -> np.ndarray:
        base, recent, extra = terms
        b, w, h = candidate
        score = (1 - w) * base[b] + (w * recent[h] if w > 0 else 0.0) + extra
        return score if self.prior is None else _normalised(score * self.prior)

    def _validation_days(self, now: float) -> np.ndarray:
        first = now - self.validation_days
        if len(self.t_days) > self.validation_events:
            first = min(first, float(np.floor(self.t_days[-self.validation_events])))
        days = np.unique(np.floor(self.t_days[self.t_days >= first]))
        return days[days < now]

    def _tune(self, now: float) -> tuple[int, float, float]:
        captured = np.zeros(len(self.candidates))
        bases = sorted({c[0] for c in self.candidates})
        half_lives = sorted({c[2] for c in self.candidates})
        days = self._validation_days(now)
        if len(days) and ("sepp", 0) in self.bases:
            n_first = int(np.searchsorted(self.t_days, days[0], side="left"))
            cells, t_days = self.cell[:n_first], self.t_days[:n_first]
            self._replay_sepp = fit_grid_sepp(cells, t_days, self.area.n_cells, iterations=15)
        try:
            return self._replay(now, days, captured, bases, half_lives)
        finally:
            self._replay_sepp = None

    def _replay(self, now, days, captured, bases, half_lives) -> tuple[int, float, float]:
        for day in days:
            n_before = int(np.searchsorted(self.t_days, day, side="left"))
            n_until = int(np.searchsorted(self.t_days, day + 1, side="left"))
            if n_before < MIN_TRAINING_EVENTS or n_until == n_before:
                continue
            hits = np.bincount(self.cell[n_before:n_until], minlength=self.area.n_cells)
            terms = self._terms(n_before, day, bases, half_lives)
            for index, candidate in enumerate(self.candidates):
                score = self._combine(terms, candidate)
                captured[index] += expected_hits_at_coverages(
                    score, self.area.area_m2, hits, self.tune_coverages
                ).sum()
        if not captured.any():
            return self.chosen
        return self.candidates[int(np.argmax(captured))]

    def predict(self, start_day: float, horizon_days: float = 1.0) -> np.ndarray:
        """Expected events per cell in ``[start_day, start_day + horizon_days)``."""
        if len(self.cell) == 0:
            return np.zeros(self.area.n_cells) if self.prior is None else self.prior.copy()
        rate_per_day = len(self.cell) / max(float(np.ptp(self.t_days)), 1.0)
        if self.ensemble == "rank":
            return self._rank_predict(start_day, horizon_days) * rate_per_day * horizon_days
        terms = self._terms(len(self.cell), start_day, [self.chosen[0]], [self.chosen[2]])
        score = _normalised(self._combine(terms, self.chosen))
        return score * rate_per_day * horizon_days

    def member_maps(self, start_day: float, horizon_days: float = 1.0) -> dict[str, np.ndarray]:
        """The rank members' maps on the current history, keyed by member name."""
        counts = np.bincount(self.cell, minlength=self.area.n_cells).astype(float)
        maps = {"count": counts}
        weights = self.member_weights
        if weights.get("shrink", 0) > 0:
            maps["shrink"] = hierarchical_counts(
                counts, self.area.area_m2, self.groups, self.member_shrink
            )
        if weights.get("kde", 0) > 0:
            maps["kde"] = self.member_operator @ counts
        if weights.get("sepp", 0) > 0 and self.member_sepp is not None:
            maps["sepp"] = predict_grid_sepp(
                self.member_sepp, self.cell, self.t_days, start_day, horizon_days
            )
        if weights.get("recent", 0) > 0:
            decay = np.exp2(-(start_day - self.t_days) / self.half_lives[0])
            decayed = np.bincount(self.cell, weights=decay, minlength=len(counts))
            maps["recent"] = self.recent_operator @ decayed
        return maps

    def _rank_predict(self, start_day: float, horizon_days: float) -> np.ndarray:
        """Ensemble order (rank mean, then count, then wide smoothing) as a share per cell."""
        maps = self.member_maps(start_day, horizon_days)
        weights = {k: w for k, w in self.member_weights.items() if k in maps}
        ranks = average_ranks(maps, weights)
        if self.prior is not None:
            ranks = ranks * self.prior
        wide = self.wide_operator @ maps["count"]
        order = lexicographic(ranks, [maps["count"], wide])
        total = sum(weights.values())
        expected = sum(w / total * _normalised(maps[k]) for k, w in weights.items())
        expected = expected + 1e-9 * _normalised(order + 1.0)
        if self.prior is not None:
            expected = expected * (self.prior > 0)
        return _normalised(rearrange(order, expected))


def _check_ensemble(ensemble: str) -> str:
    if ensemble not in ENSEMBLES:
        raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {ensemble!r}")
    return ensemble


def _member_weights(weights: dict[str, float] | None, use_sepp: bool) -> dict[str, float]:
    chosen = dict(DEFAULT_MEMBER_WEIGHTS if weights is None else weights)
    unknown = set(chosen) - set(DEFAULT_MEMBER_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown ensemble member(s) {sorted(unknown)}")
    if any(w < 0 for w in chosen.values()) or sum(chosen.values()) <= 0:
        raise ValueError(f"member_weights must be >= 0 and not all zero, got {chosen!r}")
    if not use_sepp:
        chosen["sepp"] = 0.0
    chosen.setdefault("count", 0.0)
    return chosen


def _check_arguments(recent_weights, w_parent, bandwidths_edges, half_lives, strengths) -> None:
    if not 0 <= w_parent <= 1 or not all(0 <= w <= 1 for w in recent_weights):
        raise ValueError("w_parent and recent_weights must be weights in [0, 1]")
    if not bandwidths_edges or min(bandwidths_edges) <= 0:
        raise ValueError(f"bandwidths_edges must be > 0 cell edges, got {bandwidths_edges!r}")
    if min(half_lives) <= 0:
        raise ValueError(f"half-lives must be > 0 days, got {half_lives!r}")
    if any(s < 0 for s in strengths):
        raise ValueError(f"shrink_strengths must be >= 0 pseudo-events, got {strengths!r}")
