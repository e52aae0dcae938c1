"""Rolling-origin backtest: train on everything before each day, predict that day.

The study area is fixed for the whole run (see :func:`.grid.build_study_area`:
the H3 cells covering the buffered convex hull of *all* the events given), so
"5 % coverage" means the same area on every day and for every method. Hit
rate and PAI are pooled over days: captured events summed over days divided by
test events summed over days. Days without a test event add nothing to a
pooled rate, so they are skipped (and counted in ``days_without_events``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import numpy as np

from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.forecast import History, fit_status, make_method
from minewatch.risk.engine.grid import StudyArea, build_study_area
from minewatch.risk.engine.metrics import expected_hits_at_coverage, hit_rate_and_pai

SECONDS_PER_DAY = 86_400.0
DEFAULT_METHODS = ("naive", "kde", "sepp", "blend", "mixture")
DEFAULT_COVERAGES = (0.05, 0.10, 0.20)
COVARIATE_METHODS = ("mixture",)  # the methods that take covariate maps


def _check_start(start: datetime) -> float:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start {start.isoformat()} is naive; give a timezone-aware UTC datetime")
    return start.timestamp()


def _select_threat(events: EventSet, threat: str | None) -> EventSet:
    if threat is None:
        return events
    if events.threat is None:
        raise ValueError(f"threat {threat!r} asked for, but the events carry no threat column")
    return events.select(events.threat == threat)


def _run_day(models: dict, history: History, day: float, test_cells: np.ndarray, area, coverages):
    hits_per_cell = np.bincount(test_cells, minlength=area.n_cells)
    out = {}
    for name, model in models.items():
        began = time.perf_counter()
        model.fit(history)
        fitted = time.perf_counter()
        scores = model.predict(day, 1.0)
        predicted = time.perf_counter()
        captured = [
            expected_hits_at_coverage(scores, area.area_m2, hits_per_cell, c) for c in coverages
        ]
        out[name] = (captured, fitted - began, predicted - fitted, fit_status(model))
    return out


def _fit_report(statuses: list[dict], days: list[int]) -> dict:
    """Per method: on how many predicted days it could not fit, why, and what replaced it.

    Nothing falls back silently: every day a method reports ``fitted`` False is
    counted here with its reason and replacement (first and last such day).
    """
    failed = [(d, s) for d, s in zip(days, statuses, strict=True) if not s.get("fitted", True)]
    report: dict = {"days_not_fitted": len(failed), "days_fitted": len(statuses) - len(failed)}
    if failed:
        reasons: dict[str, int] = {}
        for _, status in failed:
            key = f"{status.get('reason')} -> replaced by {status.get('replaced_by')}"
            reasons[key] = reasons.get(key, 0) + 1
        report["not_fitted"] = reasons
        report["first_day_not_fitted"], report["last_day_not_fitted"] = failed[0][0], failed[-1][0]
    if statuses:
        report["last"] = statuses[-1]
    return report


def run_backtest(
    events: EventSet,
    start: datetime,
    days: int,
    methods: Sequence[str] = DEFAULT_METHODS,
    resolution: int = 9,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    method_params: dict[str, dict] | None = None,
    study_area: StudyArea | None = None,
    threat: str | None = None,
    covariates: Callable[[StudyArea], Mapping[str, np.ndarray]] | None = None,
    grid: str = "h3",
) -> dict:
    """Backtest forecast methods day by day and pool hit rate and PAI.

    Parameters
    ----------
    events : EventSet
        All events (training and test), any order.
    start : datetime
        Aware UTC datetime of the first predicted day's start.
    days : int
        Number of consecutive one-day windows to predict.
    methods : sequence of str
        Method names ('naive', 'kde', 'sepp', 'blend', 'mixture').
    resolution : int
        H3 resolution of the study area (ignored when ``study_area`` is given).
    coverages : sequence of float
        Area fractions at which hit rate and PAI are reported.
    method_params : dict, optional
        Keyword arguments per method name, e.g. ``{"kde": {"bandwidth_m": 300}}``
        or ``{"blend": {"prior": array}}`` for a covariate prior per cell.
    study_area : StudyArea, optional
        Explicit cells to rank; default: cells covering the events' hull.
    threat : str, optional
        Keep only events of this threat (needs a threat column).
    covariates : callable, optional
        ``covariates(area)`` returns static maps per cell (e.g. nearness to routes and
        sites, :mod:`.covariates`), given to the methods that take them (``mixture``).
    grid : {"h3", "square"}
        Cells of the default study area: H3 hexagons (the product grid) or squares of
        the same mean area (:func:`.grid.build_study_area`); ignored with ``study_area``.

    Returns
    -------
    dict
        JSON-ready: ``study_area``, ``days``, ``test_events`` and per method
        ``hit_rate``/``pai`` keyed by coverage ("0.05"), ``fit_seconds_per_day``,
        ``predict_seconds_per_day``, ``setup_seconds`` and ``fit`` (days the method could
        not fit, why and what replaced it; its last fit's status, e.g. the mixture's
        chosen scales); ``daily`` holds each
        predicted day's test events and, per method, its expected captured
        events per coverage (for per-day variance and bootstrap intervals).

    Examples
    --------
    >>> result = run_backtest(events, datetime(2024, 1, 1, tzinfo=UTC), 30)  # doctest: +SKIP
    >>> result["methods"]["blend"]["hit_rate"]["0.05"]  # doctest: +SKIP
    0.21
    """
    start_s = _check_start(start)
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive whole number of days, got {days!r}")
    events = _select_threat(events, threat)
    if len(events) == 0:
        raise ValueError("no events to backtest")
    area = study_area or build_study_area(events.lat, events.lon, resolution, grid=grid)
    cells = area.locate(events.lat, events.lon)
    inside = cells >= 0
    order = np.argsort(events.t_s[inside], kind="stable")
    cells = cells[inside][order]
    t_days = (events.t_s[inside][order] - start_s) / SECONDS_PER_DAY
    params = method_params or {}
    maps = dict(covariates(area)) if covariates is not None else {}
    models, setup = {}, {}
    for name in methods:
        began = time.perf_counter()
        extra = {"covariates": maps} if maps and name in COVARIATE_METHODS else {}
        models[name] = make_method(name, area, **{**extra, **params.get(name, {})})
        setup[name] = time.perf_counter() - began
    totals = {name: [np.zeros(len(coverages)), 0.0, 0.0] for name in methods}
    test_events = predicted_days = 0
    daily = {"day": [], "events": [], "captured": {name: [] for name in methods}}
    statuses: dict[str, list[dict]] = {name: [] for name in methods}
    for day in range(days):
        n_train = int(np.searchsorted(t_days, day, side="left"))
        n_until = int(np.searchsorted(t_days, day + 1, side="left"))
        if n_until == n_train or n_train == 0:
            continue
        history = History(cells[:n_train], t_days[:n_train])
        results = _run_day(models, history, day, cells[n_train:n_until], area, coverages)
        test_events += n_until - n_train
        predicted_days += 1
        daily["day"].append(day)
        daily["events"].append(n_until - n_train)
        for name, (captured, fit_s, predict_s, status) in results.items():
            daily["captured"][name].append([float(c) for c in captured])
            statuses[name].append(status)
            totals[name][0] += captured
            totals[name][1] += fit_s
            totals[name][2] += predict_s
    summary = _summary(area, days, predicted_days, test_events, coverages, totals, setup)
    summary["covariates"] = sorted(maps)
    summary["daily"] = daily
    for name in methods:
        summary["methods"][name]["fit"] = _fit_report(statuses[name], daily["day"])
    return summary


def _summary(area, days, predicted_days, test_events, coverages, totals, setup) -> dict:
    methods = {}
    for name, (captured, fit_s, predict_s) in totals.items():
        rates = [
            hit_rate_and_pai(h, test_events, c) for h, c in zip(captured, coverages, strict=True)
        ]
        methods[name] = {
            "hit_rate": {f"{c:.2f}": r[0] for c, r in zip(coverages, rates, strict=True)},
            "pai": {f"{c:.2f}": r[1] for c, r in zip(coverages, rates, strict=True)},
            "fit_seconds_per_day": fit_s / max(predicted_days, 1),
            "predict_seconds_per_day": predict_s / max(predicted_days, 1),
            "setup_seconds": setup[name],
        }
    return {
        "study_area": {
            "rule": "cells with centre in the convex hull of all events buffered by one "
            "cell edge, plus every cell holding an event",
            "grid": area.grid,
            "resolution": area.resolution,
            "cell_edge_m": area.edge_m(),
            "cells": area.n_cells,
            "area_km2": area.total_area_m2 / 1e6,
        },
        "days": days,
        "days_predicted": predicted_days,
        "days_without_events": days - predicted_days,
        "test_events": test_events,
        "methods": methods,
    }
