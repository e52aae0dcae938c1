"""The early-warning engine on hand-made clusters (no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from minewatch.intel.engine.grading import grade_weight
from minewatch.intel.engine.warnings import Signal, Target, distances_km, find_warnings

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
MINE = Target("site:1", "site", lat=-7.735, lon=-77.53)
ROAD = Target("route:1", "route", line_lonlat=((-77.6, -7.8), (-77.4, -7.8)))


def make_signal(index: int, *, days: float, lat: float = -7.735, lon: float = -77.53,
                weight: float = 0.64, kind: str = "report") -> Signal:  # fmt: skip
    return Signal(f"{kind}:{index}", kind, T0 + dt.timedelta(days=days), lat, lon, weight)


@pytest.mark.parametrize(
    "reliability,credibility,expected",
    [("A", "1", 1.0), ("B", "2", 0.64), ("C", "3", 0.36), ("F", "6", 0.09), ("E", "5", 0.015)],
)
def test_grade_weight_follows_documented_scale(reliability, credibility, expected):
    assert grade_weight(reliability, credibility) == pytest.approx(expected)


@pytest.mark.parametrize("reliability,credibility,word", [("G", "1", "reliability"),
                                                           ("A", "7", "credibility")])  # fmt: skip
def test_grade_outside_scale_raises_naming_the_scale(reliability, credibility, word):
    with pytest.raises(ValueError, match=word):
        grade_weight(reliability, credibility)


def test_reports_and_incident_clustering_near_mine_raise_one_warning_with_reasons():
    signals = [make_signal(i, days=i * 2, weight=0.36) for i in range(3)]
    signals.append(make_signal(9, days=5, weight=1.0, kind="incident"))
    found = find_warnings(signals, [MINE], window_days=14, distance_km=10, min_weight=2.0)
    assert len(found) == 1
    assert found[0].total_weight == pytest.approx(2.08)
    assert {r.key for r in found[0].reasons} == {"report:0", "report:1", "report:2", "incident:9"}
    assert all(r.distance_km < 1 for r in found[0].reasons)


def test_many_low_grade_rumours_do_not_raise_a_warning():
    signals = [make_signal(i, days=i, weight=grade_weight("F", "6")) for i in range(10)]
    assert find_warnings(signals, [MINE], min_weight=2.0) == []


def test_signals_farther_than_distance_are_ignored():
    far = [make_signal(i, days=i, lat=-8.2, weight=1.0) for i in range(4)]  # ~52 km south
    assert find_warnings(far, [MINE], distance_km=10, min_weight=2.0) == []


def test_signals_spread_beyond_the_window_do_not_cluster():
    spread = [make_signal(i, days=i * 20, weight=1.0) for i in range(4)]
    assert find_warnings(spread, [MINE], window_days=14, min_weight=2.0) == []


def test_two_separate_bursts_give_two_warnings():
    burst = [make_signal(i, days=i, weight=1.0) for i in range(3)]
    later = [make_signal(10 + i, days=100 + i, weight=1.0) for i in range(3)]
    found = find_warnings(burst + later, [MINE], window_days=7, min_weight=2.0)
    assert [len(w.reasons) for w in found] == [3, 3]
    assert found[0].fingerprint != found[1].fingerprint


def test_signal_near_route_line_counts_for_the_route_not_a_distant_site():
    on_road = [make_signal(i, days=i, lat=-7.81, lon=-77.5, weight=1.0) for i in range(2)]
    far_site = Target("site:2", "site", lat=-9.5, lon=-77.0)
    found = find_warnings(on_road, [ROAD, far_site], distance_km=5, min_weight=2.0)
    assert [w.target_key for w in found] == ["route:1"]
    assert found[0].reasons[0].distance_km == pytest.approx(1.11, abs=0.05)


def test_single_report_is_not_a_cluster_even_if_heavy():
    assert find_warnings([make_signal(1, days=0, weight=1.0)], [MINE], min_weight=1.0) == []


def test_fingerprint_ignores_signal_order():
    signals = [make_signal(i, days=i, weight=1.0) for i in range(3)]
    first = find_warnings(signals, [MINE], min_weight=2.0)[0]
    second = find_warnings(list(reversed(signals)), [MINE], min_weight=2.0)[0]
    assert first.fingerprint == second.fingerprint


def test_distance_to_point_matches_haversine():
    result = distances_km(MINE, np.array([-7.735 + 1.0]), np.array([-77.53]))
    assert result[0] == pytest.approx(111.19, abs=0.05)


@pytest.mark.parametrize(
    "kwargs,word",
    [({"window_days": 0}, "window_days"), ({"distance_km": -1}, "distance_km"),
     ({"min_weight": 0}, "min_weight"), ({"min_signals": 0}, "min_signals")],
)  # fmt: skip
def test_bad_parameters_raise_naming_them(kwargs, word):
    with pytest.raises(ValueError, match=word):
        find_warnings([], [MINE], **kwargs)


def test_naive_time_is_refused():
    naive = Signal("report:1", "report", dt.datetime(2026, 3, 1), -7.7, -77.5, 0.5)
    with pytest.raises(ValueError, match="naive"):
        find_warnings([naive], [MINE])


def test_weight_outside_unit_interval_is_refused():
    with pytest.raises(ValueError, match="weight"):
        find_warnings([make_signal(1, days=0, weight=1.5)], [MINE])
