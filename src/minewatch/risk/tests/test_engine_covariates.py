"""Covariate maps (nearness to routes, sites, zones) and the mixture weighing them by likelihood."""

from datetime import UTC, datetime

import numpy as np
import pytest
from shapely.geometry import LineString, Point

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.covariates import check_covariates, geography_maps, proximity_map
from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.forecast import History
from minewatch.risk.engine.grid import build_study_area, project_m, unproject_deg
from minewatch.risk.engine.mixture import KernelMixture

CENTRE = (-14.05, -72.10)
START = datetime(2024, 3, 1, tzinfo=UTC)
ROAD_X = 0.0  # the road runs north-south through the centre (local metres)


def road_world(seed: int = 5, n_road: int = 120, n_background: int = 80):
    """Incidents scattered along a 40 km road (100 m jitter) plus uniform background, one a day."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(-20_000, 20_000, n_road)
    x = ROAD_X + rng.normal(0, 100, n_road)
    bx, by = rng.uniform(-20_000, 20_000, (2, n_background))
    x, y = np.concatenate([x, bx]), np.concatenate([y, by])
    order = rng.permutation(len(x))
    lat, lon = unproject_deg(x[order], y[order], *CENTRE)
    t_s = START.timestamp() - 200 * 86_400 + np.arange(len(x)) * 86_400 * 0.999
    area = build_study_area(lat, lon, 8)
    road = LineString([(ROAD_X, -20_000), (ROAD_X, 20_000)])
    return area, EventSet(t_s, lat, lon), road


def test_proximity_map_is_a_probability_map_highest_on_the_geometry():
    area, _, _ = road_world()
    x0, y0 = project_m(
        np.array([CENTRE[0]]), np.array([CENTRE[1]]), area.origin_lat, area.origin_lon
    )
    road = LineString([(x0[0], y0[0] - 20_000), (x0[0], y0[0] + 20_000)])
    values = proximity_map(area, [road], 1000.0)
    assert values.sum() == pytest.approx(1.0)
    distance = np.abs(area.x_m - x0[0])
    assert values[distance < 300].mean() > 20 * values[distance > 5_000].mean()
    assert proximity_map(area, [], 1000.0).sum() == 0
    with pytest.raises(ValueError, match="scale_m"):
        proximity_map(area, [road], 0.0)


def test_geography_maps_are_named_by_kind_and_scale():
    area, _, _ = road_world()
    maps = geography_maps(area, routes=[LineString([(0, -5000), (0, 5000)])], sites=[Point(0, 0)])
    assert sorted(maps) == ["routes 1 km", "routes 3 km", "sites 2 km", "sites 5 km"]


def test_bad_covariates_are_named():
    area, _, _ = road_world()
    with pytest.raises(ValueError, match="'roads'.*cells"):
        check_covariates(area, {"roads": np.ones(3)})
    with pytest.raises(ValueError, match="'roads'.*>= 0"):
        check_covariates(area, {"roads": -np.ones(area.n_cells)})
    with pytest.raises(ValueError, match="'roads'.*finite"):
        check_covariates(area, {"roads": np.full(area.n_cells, np.nan)})
    assert check_covariates(area, {"empty": np.zeros(area.n_cells)}) == {}


def covariates_for(area):
    x0, y0 = project_m(
        np.array([CENTRE[0]]), np.array([CENTRE[1]]), area.origin_lat, area.origin_lon
    )
    road = LineString([(x0[0], y0[0] - 20_000), (x0[0], y0[0] + 20_000)])
    far_site = Point(x0[0] + 18_000, y0[0] + 18_000)  # nothing happens there
    return {
        **geography_maps(area, routes=[road]),
        "far site": proximity_map(area, [far_site], 1500.0),
    }


def test_mixture_weighs_a_covariate_that_explains_incidents_and_ignores_one_that_does_not():
    area, events, _ = road_world()
    cells = area.locate(events.lat, events.lon)
    t_days = (events.t_s - START.timestamp()) / 86_400
    model = KernelMixture(area, covariates=covariates_for(area))
    model.fit(History(cells, t_days))
    weights = model.weights_by_component
    assert weights["covariate routes 1 km"] + weights["covariate routes 3 km"] > 0.3
    assert weights["covariate far site"] < 0.05


def test_backtest_with_road_covariates_captures_more_than_without():
    area, events, _ = road_world()
    common = dict(methods=("mixture",), study_area=area)
    start = datetime.fromtimestamp(START.timestamp() - 100 * 86_400, tz=UTC)
    without = run_backtest(events, start, 100, **common)
    assert without["covariates"] == []
    with_roads = run_backtest(events, start, 100, covariates=covariates_for, **common)
    assert with_roads["covariates"] == ["far site", "routes 1 km", "routes 3 km"]
    hit = lambda r: r["methods"]["mixture"]["hit_rate"]["0.05"]  # noqa: E731
    assert hit(with_roads) > hit(without) + 0.05
