"""Scales chosen from the data (hours vs months) and no silent fallback (engine only, no Django)."""

from datetime import UTC, datetime

import numpy as np
import pytest

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.forecast import GridSepp, History, NaiveCount, fit_status
from minewatch.risk.engine.grid import build_study_area, project_m, unproject_deg
from minewatch.risk.engine.mixture import KernelMixture
from minewatch.risk.engine.sepp import fit_grid_sepp, predict_grid_sepp

CENTRE = (-7.80, -77.45)
START = datetime(2025, 1, 1, tzinfo=UTC)


def clustered(mean_lag_days: float, spread_m: float, parents_per_day: float, seed: int = 0):
    """Background parents over a 24 km square, each with Poisson(1.5) children.

    Children follow their parent after an exponential lag (mean ``mean_lag_days``)
    at a Gaussian offset of ``spread_m``; 240 days, times in days before day 0.
    """
    rng = np.random.default_rng(seed)
    days = 240.0
    n_parents = rng.poisson(parents_per_day * days)
    px, py = rng.uniform(-12_000, 12_000, (2, n_parents))
    pt = rng.uniform(-days, 0.0, n_parents)
    children = rng.poisson(1.5, n_parents)
    cx = np.repeat(px, children) + rng.normal(0, spread_m, children.sum())
    cy = np.repeat(py, children) + rng.normal(0, spread_m, children.sum())
    ct = np.repeat(pt, children) + rng.exponential(mean_lag_days, children.sum())
    x, y, t = np.concatenate([px, cx]), np.concatenate([py, cy]), np.concatenate([pt, ct])
    keep = (t < 0) & (np.abs(x) < 12_000) & (np.abs(y) < 12_000)
    lat, lon = unproject_deg(x[keep], y[keep], *CENTRE)
    order = np.argsort(t[keep])
    return lat[order], lon[order], t[keep][order]


def fitted_mixture(lat, lon, t_days, resolution=8):
    area = build_study_area(lat, lon, resolution)
    model = KernelMixture(area, window_events=1200)
    model.fit(History(area.locate(lat, lon), t_days))
    return area, model


def test_hour_scale_clustering_gets_hour_scale_and_short_reach():
    """Children within ~2 hours and ~300 m of their parent: short half-life, narrow kernel."""
    lat, lon, t_days = clustered(mean_lag_days=2 / 24, spread_m=300.0, parents_per_day=6.0)
    area, model = fitted_mixture(lat, lon, t_days)
    scales = model.fit_status["chosen_scales"]
    assert model.fit_status["fitted"]
    assert scales["half_life_days"] <= 0.5  # truth: ln 2 × 2 h ≈ 1.4 h
    assert scales["bandwidth_m"] <= 800  # truth: 300 m
    sepp = GridSepp(area)
    sepp.fit(History(area.locate(lat, lon), t_days))
    assert sepp.fit_status["fitted"]
    assert sepp.model.omega_per_day >= 4.0  # truth: 12 per day (mean lag 2 h)


def test_month_scale_clustering_gets_month_scale_and_wide_reach():
    """Children ~30 days and ~3 km after their parent: month half-life, wide kernel."""
    lat, lon, t_days = clustered(mean_lag_days=30.0, spread_m=3000.0, parents_per_day=1.5)
    area, model = fitted_mixture(lat, lon, t_days)
    scales = model.fit_status["chosen_scales"]
    assert 7.0 <= scales["half_life_days"] <= 120.0  # truth: ln 2 × 30 d ≈ 21 d
    assert 1600 <= scales["bandwidth_m"] <= 6400  # truth: 3 km


def test_sepp_triggering_reaches_neighbouring_cells():
    """An empty cell beside the latest event is ranked above empty cells far from any event.

    Within-cell triggering (``rings=0``) gives every empty cell zero, a tie.
    """
    lat, lon, t_days = clustered(mean_lag_days=1.0, spread_m=600.0, parents_per_day=3.0, seed=2)
    area = build_study_area(lat, lon, 9)
    cells = area.locate(lat, lon)
    occupied = set(cells.tolist())
    sepp, local = GridSepp(area, rings=2), GridSepp(area, rings=0)
    for model in (sepp, local):
        model.fit(History(cells, t_days))
    share = sepp.model.ring_share
    assert len(share) == 3 and share[1] > 0.01  # learnt that children land next door
    table = sepp.neighbours.cell
    empty_near = [c for c in table[cells[-1]] if c >= 0 and c not in occupied]
    reach = {c for cell in occupied for c in table[cell] if c >= 0}
    empty_far = [c for c in range(area.n_cells) if c not in reach]
    assert empty_near and empty_far
    forecast, within = sepp.predict(0.0, 1.0), local.predict(0.0, 1.0)
    assert min(forecast[empty_near]) > max(forecast[empty_far]) == 0
    assert max(within[empty_near]) == 0  # without reach: tied with every empty cell


def test_sepp_that_cannot_fit_says_so_and_is_the_naive_count():
    # two events, far apart in time: nothing to learn triggering from
    model = fit_grid_sepp(np.array([0, 1]), np.array([0.0, 300.0]), 3, window_days=120.0)
    assert model.status == "background-only"
    status = model.fit_status
    assert status["fitted"] is False
    assert "120 days" in status["reason"]
    assert status["replaced_by"].startswith("naive")
    forecast = predict_grid_sepp(model, np.array([0, 1]), np.array([0.0, 300.0]), 301.0)
    np.testing.assert_allclose(forecast, np.array([1, 1, 0]) / 300.0)
    empty = fit_grid_sepp(np.zeros(0, int), np.zeros(0), 3)
    assert empty.fit_status["reason"] == "no past events"


def test_backtest_reports_the_days_a_method_could_not_fit():
    """Sparse events never within reach: the backtest counts every day SEPP fell back."""
    lat = CENTRE[0] + np.array([0.0, 0.2, 0.4, 0.6, 0.0, 0.2])
    lon = CENTRE[1] + np.array([0.0, 0.2, 0.4, 0.6, 0.6, 0.0])
    t_s = START.timestamp() + np.array([-400, -250, -100, 0.5, 1.5, 2.5]) * 86_400
    result = run_backtest(EventSet(t_s, lat, lon), START, 3, ["sepp", "naive"], resolution=8)
    fit = result["methods"]["sepp"]["fit"]
    assert fit["days_not_fitted"] == result["days_predicted"] == 3
    [(reason, days)] = fit["not_fitted"].items()
    assert days == 3 and "replaced by naive" in reason
    assert result["methods"]["naive"]["fit"]["days_not_fitted"] == 0
    # and where triggering is learnable, the same backtest says it was fitted
    lat2, lon2, t2 = clustered(1.0, 300.0, 3.0, seed=4)
    events = EventSet(START.timestamp() + (t2 + 200) * 86_400, lat2, lon2)
    fitted = run_backtest(events, START, 3, ["sepp"], resolution=8)["methods"]["sepp"]["fit"]
    assert fitted["days_not_fitted"] == 0 and fitted["last"]["fitted"] is True


def test_mixture_with_too_few_events_says_it_used_equal_weights():
    area = build_study_area(np.array([CENTRE[0], CENTRE[0] + 0.01]), np.array([CENTRE[1]] * 2), 9)
    model = KernelMixture(area)
    model.fit(History(np.array([0, 1]), np.array([-3.0, -1.0])))
    status = model.fit_status
    assert status["fitted"] is False and status["replaced_by"] == "equal weights per family of maps"
    assert fit_status(NaiveCount(area))["fitted"] is True


def test_candidate_scales_span_hours_to_a_year_and_metres_to_tens_of_km():
    x, y = np.array([-30_000.0, 30_000.0]), np.array([0.0, 0.0])
    lat, lon = unproject_deg(x, y, *CENTRE)
    area = build_study_area(lat, lon, 8)
    names = KernelMixture(area).component_names
    assert "kde 25600 m" in names  # tens of km, applied on H3 parents
    assert "recent 400 m 0.125 d" in names and "count 365 d" in names
    assert not any(name == "kde 25 m" for name in names)  # below half a res-8 edge: the count
    with pytest.raises(ValueError, match="half_lives_days"):
        KernelMixture(area, half_lives_days=(0.0,))
    assert project_m(lat, lon, *CENTRE)[0][1] == pytest.approx(30_000.0, rel=1e-6)


def test_a_long_horizon_fades_the_short_recency_maps():
    """Events that repeat at the last event's place within hours: a day-ahead forecast
    follows the last event; a year-ahead one goes back to where events happen overall."""
    area = build_study_area(
        np.array([CENTRE[0], CENTRE[0] + 0.3]), np.array([CENTRE[1], CENTRE[1] + 0.3]), 8
    )
    home, away = area.locate(
        np.array([CENTRE[0], CENTRE[0] + 0.3]), np.array([CENTRE[1], CENTRE[1] + 0.3])
    )
    cells = np.array([home] * 40 + [away])
    t_days = np.concatenate([np.arange(40) * 5.0 - 200.0, [-0.1]])
    model = KernelMixture(area, half_lives_days=(0.125, 365.0))
    model.fit(History(cells, t_days))
    day, year = model.predict(0.0, 1.0), model.predict(0.0, 365.0)
    assert np.isclose(model.horizon_weights(1.0), model.weights).all()
    assert year[home] / year.sum() > day[home] / day.sum()
    assert year[home] > year[away]
