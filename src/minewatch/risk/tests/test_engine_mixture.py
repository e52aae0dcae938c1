"""The likelihood-weighted kernel mixture: known weights on small cases, no use of the future."""

from datetime import UTC, datetime

import numpy as np
import pytest

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.forecast import History
from minewatch.risk.engine.grid import build_study_area
from minewatch.risk.engine.mixture import KernelMixture, fit_mixture_weights

CENTRE = (-14.05, -72.10)
START = datetime(2024, 3, 1, tzinfo=UTC)


def area_and_points(seed: int = 3):
    rng = np.random.default_rng(seed)
    lat = CENTRE[0] + rng.uniform(-0.03, 0.03, 400)
    lon = CENTRE[1] + rng.uniform(-0.03, 0.03, 400)
    return build_study_area(lat, lon, 9), lat, lon


def test_em_weights_known_answer():
    # every event is explained 3x better by component 0: all weight goes there
    densities = np.array([[0.3, 0.1, 0.1]] * 20)
    weights = fit_mixture_weights(densities)
    assert weights.round(3).tolist() == [1.0, 0.0, 0.0]
    # two kinds of event, half each, each explained only by its own component
    densities = np.array([[1.0, 0.0]] * 10 + [[0.0, 1.0]] * 10)
    assert fit_mixture_weights(densities).round(3).tolist() == [0.5, 0.5]


def test_em_weights_reject_bad_densities():
    with pytest.raises(ValueError, match="finite and >= 0"):
        fit_mixture_weights(np.array([[0.5, -0.1]]))
    with pytest.raises(ValueError, match="2-D"):
        fit_mixture_weights(np.array([0.5, 0.1]))


def weight_by_reach(model: KernelMixture, low_m: float, high_m: float) -> float:
    """Total weight of the maps whose bandwidth is within [low_m, high_m] (count: 0)."""
    return sum(
        w
        for (_, bandwidth, _), w in zip(model.components, model.weights, strict=True)
        if bandwidth is not None and low_m <= bandwidth <= high_m
    )


def test_exact_repeats_weight_the_count():
    """Events that come back to the same few cells: the no-spread count gets most weight."""
    area, _, _ = area_and_points()
    rng = np.random.default_rng(0)
    cells = rng.choice(np.arange(0, area.n_cells, 37), size=300)
    t_days = np.sort(rng.uniform(-300, 0, 300))
    model = KernelMixture(area)
    model.fit(History(cells, t_days))
    assert weight_by_reach(model, 0, 200) > 0.8  # the cell itself, or under one cell edge
    assert weight_by_reach(model, 1600, 1e9) < 0.05


def test_scattered_events_weight_a_wide_kernel():
    """Every event in a new cell near a few centres: the spread components take the weight."""
    area, _, _ = area_and_points()
    rng = np.random.default_rng(1)
    centres = rng.choice(area.n_cells, 3)
    picks = centres[rng.integers(0, 3, 300)]
    x = area.x_m[picks] + rng.normal(0, 800, 300)
    y = area.y_m[picks] + rng.normal(0, 800, 300)
    cells = np.array(
        [
            int(np.argmin((area.x_m - a) ** 2 + (area.y_m - b) ** 2))
            for a, b in zip(x, y, strict=True)
        ]
    )
    t_days = np.sort(rng.uniform(-300, 0, 300))
    model = KernelMixture(area)
    model.fit(History(cells, t_days))
    weights = model.weights_by_component
    assert weight_by_reach(model, 0, 200) < 0.2
    assert weight_by_reach(model, 400, 1e9) > 0.5
    assert sum(weights.values()) == pytest.approx(1.0)


def test_prediction_sums_to_the_daily_rate():
    area, _, _ = area_and_points()
    rng = np.random.default_rng(2)
    cells = rng.integers(0, area.n_cells, 50)
    t_days = np.sort(rng.uniform(-100, 0, 50))
    model = KernelMixture(area)
    model.fit(History(cells, t_days))
    expected = model.predict(0.0, 7.0)
    assert expected.sum() == pytest.approx(50 / np.ptp(t_days) * 7.0)
    assert np.all(expected > 0)  # the uniform floor ranks every cell


def test_refit_on_a_shorter_history_forgets_the_future():
    """A model that saw later events and is refitted on a prefix predicts as a fresh one."""
    area, _, _ = area_and_points()
    rng = np.random.default_rng(4)
    cells = rng.integers(0, area.n_cells, 200)
    t_days = np.sort(rng.uniform(-200, 0, 200))
    prefix = History(cells[:120], t_days[:120])
    fresh = KernelMixture(area)
    fresh.fit(prefix)
    reused = KernelMixture(area)
    reused.fit(History(cells, t_days))
    reused.fit(prefix)
    day = float(np.floor(t_days[120]))
    np.testing.assert_array_equal(fresh.weights, reused.weights)
    np.testing.assert_array_equal(fresh.predict(day), reused.predict(day))
    # a different past invalidates the cache instead of reusing its rows
    other = History(np.roll(cells[:120], 1), t_days[:120])
    reused.fit(other)
    fresh_other = KernelMixture(area)
    fresh_other.fit(other)
    np.testing.assert_array_equal(fresh_other.weights, reused.weights)


def test_backtest_never_uses_the_predicted_day():
    """Moving every event on or after a day elsewhere leaves that day's forecast unchanged."""
    area, lat, lon = area_and_points()
    rng = np.random.default_rng(5)
    t_s = np.sort(START.timestamp() - 60 * 86_400 + rng.uniform(0, 70 * 86_400, 400))
    events = EventSet(t_s, lat, lon)
    day_one = START.timestamp()
    moved_lat = np.where(t_s >= day_one, CENTRE[0] + 0.029, lat)
    moved_lon = np.where(t_s >= day_one, CENTRE[1] + 0.029, lon)
    moved = EventSet(t_s, moved_lat, moved_lon)
    model_a, model_b = KernelMixture(area), KernelMixture(area)
    for events_, model in ((events, model_a), (moved, model_b)):
        before = events_.t_s < day_one
        t_days = (events_.t_s[before] - day_one) / 86_400
        model.fit(History(area.locate(events_.lat[before], events_.lon[before]), t_days))
    np.testing.assert_array_equal(model_a.predict(0.0), model_b.predict(0.0))
    # and through the backtest: the first day's capture only depends on that day's events
    a = run_backtest(events, START, 1, ["mixture"], study_area=area)
    b = run_backtest(
        EventSet(t_s, np.where(t_s >= day_one + 86_400, moved_lat, lat), lon), START, 1,
        ["mixture"], study_area=area,
    )  # fmt: skip
    assert a["methods"]["mixture"]["hit_rate"] == b["methods"]["mixture"]["hit_rate"]


def test_bad_parameters_are_named():
    area, _, _ = area_and_points()
    with pytest.raises(ValueError, match="bandwidths_m must be > 0"):
        KernelMixture(area, bandwidths_m=(0.0,))
    with pytest.raises(ValueError, match="half_lives_days must be > 0"):
        KernelMixture(area, half_lives_days=(-7.0,))
    with pytest.raises(ValueError, match="window_events"):
        KernelMixture(area, window_events=0)
    with pytest.raises(ValueError, match="prior must be"):
        KernelMixture(area, prior=np.ones(3))
    with pytest.raises(ValueError, match="sorted by time"):
        KernelMixture(area).fit(History(np.array([0, 1]), np.array([2.0, 1.0])))
