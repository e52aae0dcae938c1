"""Grid self-exciting point process (Mohler et al. 2011; 2015 grid form), with spatial reach.

Each cell ``c`` has intensity
``λ_c(t) = μ_c + Σ_j θ g(ring(c, c_j)) ω exp(-ω (t - t_j))``
over the past events ``j`` in the cell *and in the cells up to ``rings`` H3
rings around it*: a constant background plus an exponentially decaying
"near-repeat" boost after each event that reaches the neighbouring cells. The
spatial kernel ``g`` is a free share per cell at each ring distance
(``Σ_k cells_k g_k = 1``), so how far the boost reaches is learnt from the data
(a boost that stays in its own cell ends with ``g_0 ≈ 1``). Without a ring
table (``neighbours=None``) triggering stays within the cell (the 2015 grid form).

The parameters are fitted by expectation–maximisation on the branching
structure: the E-step gives each event the probability ``p_ii`` that it was
background and ``p_ij`` that event ``j`` triggered it; the M-step sets
``μ_c = Σ_{i∈c} p_ii / T``, ``θ = Σ p_ij / N``, ``ω = Σ p_ij / Σ p_ij Δt_ij`` and
``g_k = Σ_{ring k} p_ij / (cells_k Σ p_ij)``. Pairs further apart than
``window_days`` are ignored, which keeps the fit linear in the number of events.

**No silent fallback**: when there is nothing to learn triggering from (no
event, or no two events within reach and window) the model says so in
``status``/``reason`` and names what replaces it (the background alone, i.e. the
naive count); callers report it (backtest output, forecast API).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from minewatch.risk.engine.grid import StudyArea

DEFAULT_RINGS = 2
FITTED = "fitted"
BACKGROUND_ONLY = "background-only"


@dataclass(frozen=True)
class GridSeppModel:
    """Fitted parameters: background per cell (events/day), θ, ω (1/day), ring kernel.

    ``ring_share`` is ``g_k``, the share of a triggered event's probability given to
    each cell at ring distance ``k`` (``[1.0]``: within the cell only). ``status`` is
    ``"fitted"`` or ``"background-only"`` (then ``reason`` says why and the forecast
    is the background alone, the naive count).
    """

    mu_per_day: np.ndarray
    theta: float
    omega_per_day: float
    ring_share: tuple[float, ...] = (1.0,)
    status: str = FITTED
    reason: str | None = None

    @property
    def fit_status(self) -> dict:
        """JSON-ready: whether triggering was fitted, why not, and what replaced it."""
        fitted = self.status == FITTED
        return {
            "method": "sepp",
            "fitted": fitted,
            "reason": self.reason,
            "replaced_by": None if fitted else "naive (background rate per cell, no triggering)",
            "theta": round(self.theta, 4),
            "omega_per_day": round(self.omega_per_day, 4),
            "ring_share": [round(g, 5) for g in self.ring_share],
        }


@dataclass(frozen=True)
class RingTable:
    """Cells within ``rings`` grid rings of each cell: ``cell[c, s]`` (-1 = none), ``ring[c, s]``."""

    cell: np.ndarray
    ring: np.ndarray
    cells_per_ring: np.ndarray

    @property
    def rings(self) -> int:
        return len(self.cells_per_ring) - 1


def ring_table(area: StudyArea, rings: int = DEFAULT_RINGS) -> RingTable:
    """The neighbour table of the area's cells up to ``rings`` rings (:meth:`StudyArea.ring`)."""
    if not isinstance(rings, int) or not 0 <= rings <= 6:
        raise ValueError(f"rings must be a whole number 0..6, got {rings!r}")
    cells_per_ring = np.array([area.ring_size(k) for k in range(rings + 1)], dtype=float)
    slots = int(cells_per_ring.sum())
    table = -np.ones((area.n_cells, slots), dtype=np.int64)
    ring = np.zeros((area.n_cells, slots), dtype=np.int64)
    for i in range(area.n_cells):
        s = 0
        for k in range(rings + 1):
            for j in area.ring(i, k):
                table[i, s], ring[i, s] = j, k
                s += 1
    return RingTable(table, ring, cells_per_ring)


def _pairs(
    cell: np.ndarray, t_days: np.ndarray, window_days: float, neighbours: RingTable | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(later, earlier, lag, ring) of every event pair within reach and ``0 < lag < window``.

    Events sorted by (cell, time) get a key ``cell · span + time``; the earlier
    events of a neighbouring cell inside the window are one contiguous key range,
    found by binary search for every event and every neighbour slot at once.
    """
    n = len(cell)
    order = np.lexsort((t_days, cell))
    sorted_cell = cell[order]
    sorted_t = t_days[order] - float(t_days.min())
    span = float(sorted_t.max()) + window_days + 1.0
    key = sorted_cell * span + sorted_t
    slots = neighbours.cell.shape[1] if neighbours is not None else 1
    out: tuple[list, list, list, list] = ([], [], [], [])
    for s in range(slots):
        other = sorted_cell if neighbours is None else neighbours.cell[sorted_cell, s]
        base = other * span + sorted_t
        lo = np.searchsorted(key, base - window_days, side="right")
        hi = np.searchsorted(key, base, side="left")  # strictly earlier: lag > 0
        count = np.where(other >= 0, np.maximum(hi - lo, 0), 0)
        total = int(count.sum())
        if total == 0:
            continue
        later = np.repeat(np.arange(n), count)
        earlier = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(total)
        out[0].append(order[later])
        out[1].append(order[earlier])
        out[2].append(sorted_t[later] - sorted_t[earlier])
        ring = 0 if neighbours is None else neighbours.ring[sorted_cell[later], s]
        out[3].append(np.broadcast_to(ring, total).astype(np.int64))
    if not out[0]:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return tuple(np.concatenate(parts) for parts in out)  # type: ignore[return-value]


def fit_grid_sepp(
    cell: np.ndarray,
    t_days: np.ndarray,
    n_cells: int,
    window_days: float = 120.0,
    iterations: int = 30,
    theta_start: float = 0.3,
    omega_start_per_day: float = 0.1,
    neighbours: RingTable | None = None,
) -> GridSeppModel:
    """Fit the grid SEPP by EM.

    Parameters
    ----------
    cell : numpy.ndarray
        Cell position (0..n_cells-1) of each past event.
    t_days : numpy.ndarray
        Event times, days.
    n_cells : int
        Number of cells in the study area.
    window_days : float
        Largest triggering lag considered, days.
    iterations : int
        EM iterations.
    neighbours : RingTable, optional
        Cells within a few grid rings (:func:`ring_table`): triggering reaches them.

    Returns
    -------
    GridSeppModel
        ``status`` says whether triggering could be fitted.

    Examples
    --------
    >>> model = fit_grid_sepp(np.array([0, 0, 0, 1]), np.array([0.0, 0.5, 0.7, 3.0]), 2)
    >>> model.mu_per_day.shape, model.status
    ((2,), 'fitted')
    """
    if not window_days > 0:
        raise ValueError(f"window_days must be > 0 days, got {window_days!r}")
    cell, t_days = np.asarray(cell, np.int64), np.asarray(t_days, float)
    n_events = len(cell)
    span_days = max(float(np.ptp(t_days)) if n_events else 0.0, 1.0)
    mu = np.bincount(cell, minlength=n_cells) / span_days
    theta, omega = theta_start, omega_start_per_day
    rings = 0 if neighbours is None else neighbours.rings
    per_ring = np.array([1.0]) if neighbours is None else neighbours.cells_per_ring
    share = np.full(rings + 1, 1.0 / per_ring.sum())
    if n_events == 0:
        return GridSeppModel(mu, 0.0, omega, tuple(share), BACKGROUND_ONLY, "no past events")
    later, earlier, gaps, ring = _pairs(cell, t_days, window_days, neighbours)
    if len(later) == 0:
        reason = (
            f"no two events within {rings} ring(s) of each other and {window_days:g} days; "
            "nothing to learn triggering from"
        )
        return GridSeppModel(mu, 0.0, omega, tuple(share), BACKGROUND_ONLY, reason)
    for _ in range(iterations):
        trigger = theta * omega * np.exp(-omega * gaps) * share[ring]
        intensity = mu[cell] + np.bincount(later, weights=trigger, minlength=n_events)
        p_background = mu[cell] / intensity
        p_trigger = trigger / intensity[later]
        mu = np.bincount(cell, weights=p_background, minlength=n_cells) / span_days
        total_trigger = p_trigger.sum()
        theta = min(total_trigger / n_events, 0.99)
        omega = total_trigger / max(float((p_trigger * gaps).sum()), 1e-9)
        omega = float(np.clip(omega, 1.0 / window_days, 24.0))
        by_ring = np.bincount(ring, weights=p_trigger, minlength=rings + 1)
        if by_ring.sum() > 0:
            share = np.maximum(by_ring / per_ring / by_ring.sum(), 1e-12)
            share = share / (share * per_ring).sum()
    return GridSeppModel(mu, float(theta), omega, tuple(float(g) for g in share))


def predict_grid_sepp(
    model: GridSeppModel,
    cell: np.ndarray,
    t_days: np.ndarray,
    start_day: float,
    horizon_days: float = 1.0,
    neighbours: RingTable | None = None,
) -> np.ndarray:
    """Expected events per cell in ``[start_day, start_day + horizon_days)``.

    The background contributes ``μ_c · horizon``; each past event ``j`` adds
    the integral of its kernel over the horizon,
    ``θ g_k (exp(-ω (start - t_j)) - exp(-ω (start + horizon - t_j)))``, to every
    cell ``k`` rings from its own (its own cell only without ``neighbours``).
    """
    omega = model.omega_per_day
    n_cells = len(model.mu_per_day)
    age = start_day - np.asarray(t_days, float)
    boost = model.theta * (np.exp(-omega * age) - np.exp(-omega * (age + horizon_days)))
    per_cell = np.bincount(cell, weights=boost, minlength=n_cells)
    if neighbours is None or len(model.ring_share) == 1:
        return model.mu_per_day * horizon_days + per_cell * model.ring_share[0]
    return model.mu_per_day * horizon_days + spread_by_rings(per_cell, model.ring_share, neighbours)


def spread_by_rings(per_cell: np.ndarray, ring_share, neighbours: RingTable) -> np.ndarray:
    """Each cell's value given to the cells around it, ``ring_share[k]`` per cell at ring ``k``."""
    rows = np.repeat(np.arange(len(per_cell)), neighbours.cell.shape[1])
    cols = neighbours.cell.ravel()
    keep = cols >= 0
    weights = np.asarray(ring_share, float)[neighbours.ring.ravel()[keep]]
    matrix = sparse.csr_matrix(
        (weights, (cols[keep], rows[keep])), shape=(len(per_cell), len(per_cell))
    )
    return matrix @ per_cell
