"""The square study area (``grid="square"``): lookup, rings, parents, forecasts on squares."""

import math

import h3
import numpy as np
import pytest
from shapely.geometry import box

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.forecast import make_method
from minewatch.risk.engine.grid import (
    SQUARE_APERTURE,
    build_study_area,
    parent_groups,
    project_m,
    square_study_area,
    unproject_deg,
)
from minewatch.risk.engine.mixture import candidate_bandwidths
from minewatch.risk.engine.sepp import ring_table
from minewatch.risk.tests.test_engine_forecast import (
    HOTSPOT,
    START,
    history_of,
    make_events,
)

ORIGIN = (-14.05, -72.10)


def grid_10x8(side: float = 200.0):
    """Squares (0..9, 0..7) of ``side`` metres: a 10 × 8 box whose corner is square (0, 0)."""
    return square_study_area(box(0, 0, 10 * side, 8 * side), *ORIGIN, side)


def test_squares_cover_the_region_with_ids_centres_and_areas():
    area = grid_10x8()
    assert area.grid == "square" and area.n_cells == 80
    assert "sq:200:0:0" in set(area.cells) and "sq:200:9:7" in set(area.cells)
    i = list(area.cells).index("sq:200:3:5")
    assert (area.x_m[i], area.y_m[i]) == (700.0, 1100.0)
    assert np.all(area.area_m2 == 40_000.0) and area.edge_m() == 200.0


def test_locate_finds_the_square_of_a_point_and_minus_one_outside():
    area = grid_10x8()
    x = np.array([0.5, 699.0, 701.0, 1999.9, -0.1, 2000.1])
    y = np.array([0.5, 1100.0, 1100.0, 1599.9, 5.0, 5.0])
    lat, lon = unproject_deg(x, y, *ORIGIN)
    found = area.locate(lat, lon)
    names = [area.cells[j] if j >= 0 else None for j in found]
    assert names == ["sq:200:0:0", "sq:200:3:5", "sq:200:3:5", "sq:200:9:7", None, None]


def test_squares_holding_a_point_outside_the_region_are_kept():
    lat, lon = unproject_deg(np.array([2500.0]), np.array([100.0]), *ORIGIN)
    area = square_study_area(box(0, 0, 400, 400), *ORIGIN, 200.0, lat=lat, lon=lon)
    assert set(area.cells) == {
        "sq:200:0:0",
        "sq:200:0:1",
        "sq:200:1:0",
        "sq:200:1:1",
        "sq:200:12:0",
    }
    assert area.locate(lat, lon)[0] == list(area.cells).index("sq:200:12:0")


def test_rings_are_chebyshev_rings_cut_at_the_edge():
    area = grid_10x8()
    index = {c: i for i, c in enumerate(area.cells)}
    centre = index["sq:200:4:4"]
    assert area.ring(centre, 0) == [centre]
    one = {area.cells[j] for j in area.ring(centre, 1)}
    assert one == {f"sq:200:{4 + dx}:{4 + dy}" for dx in (-1, 0, 1) for dy in (-1, 0, 1)} - {
        "sq:200:4:4"
    }
    assert len(area.ring(centre, 2)) == 16 == area.ring_size(2)
    assert len(area.ring(index["sq:200:0:0"], 1)) == 3  # a corner has 3 neighbours
    table = ring_table(area, 2)
    assert table.cell.shape == (80, 25) and list(table.cells_per_ring) == [1, 8, 16]
    assert sorted(table.cell[centre][table.ring[centre] == 1]) == sorted(area.ring(centre, 1))


def test_parents_are_nested_blocks_of_squares():
    area = grid_10x8()
    fine, coarse = parent_groups(area, 1), area.parents(2)
    ix = np.array([int(c.split(":")[2]) for c in area.cells])
    iy = np.array([int(c.split(":")[3]) for c in area.cells])
    for g in np.unique(fine):
        members = fine == g
        assert len(np.unique(ix[members] // SQUARE_APERTURE)) == 1
        assert len(np.unique(iy[members] // SQUARE_APERTURE)) == 1
        assert len(np.unique(coarse[members])) == 1  # nested
    assert len(np.unique(fine)) == 4 * 3  # ceil(10/3) × ceil(8/3) blocks
    assert area.edge_m(1) == 600.0 and area.max_levels_up == 3
    with pytest.raises(ValueError, match="levels_up"):
        area.parents(area.max_levels_up + 1)


def test_build_study_area_squares_have_the_mean_h3_area_and_hold_every_event():
    events = make_events(10, 50)
    area = build_study_area(events.lat, events.lon, 9, grid="square")
    assert area.edge_m() == pytest.approx(math.sqrt(h3.average_hexagon_area(9, unit="m^2")))
    assert np.all(area.locate(events.lat, events.lon) >= 0)
    hexes = build_study_area(events.lat, events.lon, 9)
    assert hexes.grid == "h3" and hexes.cells[0].startswith("89")
    assert 0.8 < area.total_area_m2 / hexes.total_area_m2 < 1.25


def test_unknown_grid_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="grid must be one of h3, square"):
        build_study_area(np.array([-14.0]), np.array([-72.0]), 9, grid="hex")
    with pytest.raises(ValueError, match="cell_m"):
        square_study_area(box(0, 0, 1, 1), *ORIGIN, 0.0)


def test_naive_on_squares_is_the_direct_count_per_square():
    events = make_events(n_hot=40, n_background=60)
    area = build_study_area(events.lat, events.lon, 9, grid="square", cell_m=250.0)
    model = make_method("naive", area)
    history = history_of(events, area)
    model.fit(history)
    scores = model.predict(0.0, 1.0)
    before = events.t_s < START.timestamp()
    x, y = project_m(events.lat[before], events.lon[before], area.origin_lat, area.origin_lon)
    ix = np.floor((x - area.offset_x_m) / 250.0).astype(int)
    iy = np.floor((y - area.offset_y_m) / 250.0).astype(int)
    direct = {}
    for key in zip(ix, iy, strict=True):
        direct[f"sq:250:{key[0]}:{key[1]}"] = direct.get(f"sq:250:{key[0]}:{key[1]}", 0) + 1
    counts = np.array([direct.get(c, 0) for c in area.cells], float)
    assert counts.sum() == before.sum()
    np.testing.assert_allclose(scores / scores.sum(), counts / counts.sum())


@pytest.mark.parametrize("method", ["kde", "sepp", "blend", "mixture"])
def test_every_method_runs_on_squares_and_ranks_the_hotspot_first(method):
    events = make_events(n_hot=40, n_background=40)
    area = build_study_area(events.lat, events.lon, 9, grid="square")
    model = make_method(method, area)
    model.fit(history_of(events, area))
    scores = model.predict(0.0, 1.0)
    hot = area.locate(np.array([HOTSPOT[0]]), np.array([HOTSPOT[1]]))[0]
    assert int(np.argmax(scores)) == hot


def test_backtest_on_squares_reports_its_grid():
    events = make_events(n_hot=30, n_background=30, days=20)
    result = run_backtest(events, START, 5, methods=["naive"], grid="square")
    assert result["study_area"]["grid"] == "square"
    assert result["study_area"]["cell_edge_m"] == pytest.approx(
        math.sqrt(h3.average_hexagon_area(9, unit="m^2"))
    )
    assert result["methods"]["naive"]["hit_rate"]["0.05"] >= 0


def test_methods_size_their_scales_alike_on_squares_and_hexagons_of_equal_area():
    events = make_events(10, 50)
    hexes = build_study_area(events.lat, events.lon, 9)
    squares = build_study_area(events.lat, events.lon, 9, grid="square")
    assert squares.edge_m() == pytest.approx(math.sqrt(h3.average_hexagon_area(9, unit="m^2")))
    assert squares.scale_edge_m() == pytest.approx(hexes.scale_edge_m(), rel=0.01)
    assert hexes.scale_edge_m() == hexes.edge_m()
    assert candidate_bandwidths(squares, None) == candidate_bandwidths(hexes, None)
    assert make_method("kde", squares).bandwidth_m == pytest.approx(
        make_method("kde", hexes).bandwidth_m, rel=0.01
    )
