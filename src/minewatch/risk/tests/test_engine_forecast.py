"""Forecast methods and backtest on small synthetic point sets with known answers."""

from datetime import UTC, datetime

import h3
import numpy as np
import pytest

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.forecast import History, make_method
from minewatch.risk.engine.grid import build_study_area, gaussian_operator
from minewatch.risk.engine.sepp import fit_grid_sepp, predict_grid_sepp

HOTSPOT = (-14.05, -72.10)
START = datetime(2024, 3, 1, tzinfo=UTC)


def make_events(n_hot: int, n_background: int, days: int = 60, seed: int = 1) -> EventSet:
    """Events in one tight hotspot plus uniform background in a ~10 km box."""
    rng = np.random.default_rng(seed)
    lat = np.concatenate(
        [HOTSPOT[0] + rng.normal(0, 0.0003, n_hot), rng.uniform(-14.1, -14.0, n_background)]
    )
    lon = np.concatenate(
        [HOTSPOT[1] + rng.normal(0, 0.0003, n_hot), rng.uniform(-72.15, -72.05, n_background)]
    )
    t_s = (
        START.timestamp() - days * 86_400 + rng.uniform(0, 2 * days * 86_400, n_hot + n_background)
    )
    order = np.argsort(t_s)
    return EventSet(t_s[order], lat[order], lon[order])


def history_of(events: EventSet, area) -> History:
    before = events.t_s < START.timestamp()
    t_days = (events.t_s[before] - START.timestamp()) / 86_400
    return History(area.locate(events.lat[before], events.lon[before]), t_days)


@pytest.mark.parametrize("method", ["naive", "kde", "sepp", "blend", "mixture"])
def test_single_hotspot_ranks_first(method):
    events = make_events(n_hot=40, n_background=40)
    area = build_study_area(events.lat, events.lon, 9)
    model = make_method(method, area)
    model.fit(history_of(events, area))
    scores = model.predict(0.0, 1.0)
    hot_cell = area.locate(np.array([HOTSPOT[0]]), np.array([HOTSPOT[1]]))[0]
    assert int(np.argmax(scores)) == hot_cell


def test_study_area_contains_every_event():
    events = make_events(10, 50)
    area = build_study_area(events.lat, events.lon, 9)
    assert np.all(area.locate(events.lat, events.lon) >= 0)


def test_gaussian_operator_conserves_counts():
    events = make_events(10, 50)
    area = build_study_area(events.lat, events.lon, 9)
    counts = np.zeros(area.n_cells)
    counts[[0, area.n_cells // 2]] = [3.0, 5.0]
    assert (gaussian_operator(area, 400.0) @ counts).sum() == pytest.approx(8.0)


def test_sepp_finds_self_excitation_in_bursts():
    # Bursts: every event at t is followed by two more within an hour, same cell.
    parents = np.arange(0.0, 200.0, 10.0)
    t_days = np.sort(np.concatenate([parents, parents + 0.02, parents + 0.04]))
    model = fit_grid_sepp(np.zeros(len(t_days), int), t_days, 1)
    assert model.theta > 0.4
    after_burst = predict_grid_sepp(model, np.zeros(len(t_days), int), t_days, 190.05, 1.0)[0]
    long_after = predict_grid_sepp(model, np.zeros(len(t_days), int), t_days, 199.0, 1.0)[0]
    assert after_burst > long_after


def test_blend_prior_moves_unseen_cell_up():
    events = make_events(40, 0)
    area = build_study_area(events.lat, events.lon, 9)
    prior = np.ones(area.n_cells)
    favoured = 0
    prior[favoured] = 1e6
    model = make_method("blend", area, prior=prior)
    model.fit(history_of(events, area))
    assert int(np.argmax(model.predict(0.0))) == favoured


def test_blend_rejects_prior_of_wrong_length():
    events = make_events(5, 5)
    area = build_study_area(events.lat, events.lon, 9)
    with pytest.raises(ValueError, match="prior must be"):
        make_method("blend", area, prior=np.ones(3))


def test_unknown_method_is_named():
    events = make_events(5, 5)
    area = build_study_area(events.lat, events.lon, 9)
    with pytest.raises(ValueError, match="'magic'"):
        make_method("magic", area)


def test_backtest_reports_every_method_and_coverage():
    events = make_events(60, 60, days=20)
    result = run_backtest(events, START, 20, resolution=9)
    assert set(result["methods"]) == {"naive", "kde", "sepp", "blend", "mixture"}
    for stats in result["methods"].values():
        assert set(stats["hit_rate"]) == {"0.05", "0.10", "0.20"}
        assert stats["hit_rate"]["0.05"] <= stats["hit_rate"]["0.20"]
    assert result["days_predicted"] + result["days_without_events"] == 20
    daily = result["daily"]
    assert len(daily["events"]) == result["days_predicted"]
    assert sum(daily["events"]) == result["test_events"]
    for name, stats in result["methods"].items():
        captured = np.array(daily["captured"][name])
        assert captured.shape == (result["days_predicted"], 3)
        pooled = captured[:, 0].sum() / result["test_events"]
        assert pooled == pytest.approx(stats["hit_rate"]["0.05"])


def test_backtest_hotspot_beats_area_share():
    events = make_events(80, 20, days=20)
    result = run_backtest(events, START, 20, methods=("blend",), resolution=9)
    assert result["methods"]["blend"]["pai"]["0.05"] > 3


def test_backtest_naive_start_rejected():
    with pytest.raises(ValueError, match="naive"):
        run_backtest(make_events(5, 5), datetime(2024, 3, 1), 5)


def test_backtest_counts_test_events_of_predicted_days():
    day = 86_400
    base = START.timestamp()
    t_s = np.array([base - day, base + 10, base + day + 10, base + 3 * day + 10])
    lat = np.full(4, HOTSPOT[0])
    lon = np.full(4, HOTSPOT[1])
    events = EventSet(t_s, lat, lon)
    result = run_backtest(events, START, 3, methods=("naive",), coverages=(1.0,))
    assert result["test_events"] == 2  # the day-3 event is after the 3 predicted days
    assert result["days_predicted"] == 2  # day 1 (index) has no event and is skipped
    assert result["methods"]["naive"]["hit_rate"]["1.00"] == pytest.approx(1.0)


def test_resolution_out_of_range_rejected():
    with pytest.raises(ValueError, match="resolution"):
        build_study_area(np.array([0.0]), np.array([0.0]), 16)


def test_hotspot_cell_is_h3_cell_at_resolution():
    events = make_events(5, 5)
    area = build_study_area(events.lat, events.lon, 8)
    assert all(h3.get_resolution(c) == 8 for c in area.cells[:5])
