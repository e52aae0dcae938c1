"""Rank averaging, lexicographic tie-breaks, rearrangement and the rank-ensemble blend."""

import numpy as np
import pytest

from minewatch.risk.engine.blend import Blend
from minewatch.risk.engine.ensemble import (
    average_ranks,
    lexicographic,
    rank_scores,
    rearrange,
)
from minewatch.risk.engine.forecast import History
from minewatch.risk.engine.grid import build_study_area


def _area(resolution=8):
    return build_study_area(np.array([-14.0, -14.1]), np.array([-72.0, -72.1]), resolution)


def _history(area, seed=4, days=200):
    """400 events in five hot cells over ``days`` days before day 0."""
    rng = np.random.default_rng(seed)
    hot = rng.choice(area.n_cells, 5, replace=False)
    t_days = np.sort(rng.uniform(-days, 0, 400))
    return History(rng.choice(hot, len(t_days)).astype(np.int64), t_days), hot


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0, 2.0, 3.0], [1 / 3, 2 / 3, 1.0]),
        ([0.0, 0.0, 5.0, 0.0], [0.5, 0.5, 1.0, 0.5]),
        ([7.0], [1.0]),
    ],
)
def test_rank_scores_share_ranks_between_ties(values, expected):
    assert rank_scores(np.array(values)) == pytest.approx(expected)


def test_average_ranks_ignores_scale_of_members():
    maps = {"count": np.array([0.0, 1, 2]), "density": np.array([1e-9, 2e-9, 3e-9])}
    assert average_ranks(maps, {"count": 1, "density": 1}) == pytest.approx([1 / 3, 2 / 3, 1])


@pytest.mark.parametrize(
    ("weights", "message"),
    [({"a": -1.0}, "weights"), ({"a": 0.0}, "weights"), ({"zzz": 1.0}, "no map")],
)
def test_average_ranks_rejects_bad_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        average_ranks({"a": np.ones(3)}, weights)


def test_lexicographic_breaks_ties_of_primary_only():
    primary = np.array([2.0, 1, 1, 1, 0])
    count = np.array([0.0, 5, 3, 3, 9])
    wide = np.array([0.0, 0, 1, 2, 9])
    scores = lexicographic(primary, [count, wide])
    assert list(np.argsort(-scores)) == [0, 1, 3, 2, 4]


def test_lexicographic_keeps_full_ties_tied():
    scores = lexicographic(np.array([1.0, 1, 0]), [np.array([2.0, 2, 2])])
    assert scores[0] == scores[1] > scores[2]


def test_rearrange_keeps_order_ties_and_total():
    order = np.array([3.0, 1, 1, 0])
    expected = np.array([0.1, 0.2, 0.3, 0.4])
    out = rearrange(order, expected)
    assert out[0] == pytest.approx(0.4)
    assert out[1] == out[2] == pytest.approx(0.25)
    assert out.sum() == pytest.approx(expected.sum())


def test_rank_blend_ranks_hot_cells_first_without_tuning():
    area = _area()
    history, hot = _history(area)
    model = Blend(area)
    model.fit(history)
    scores = model.predict(0.0)
    assert set(np.argsort(-scores)[:5]) == set(hot)
    assert model.tuned_at is None
    assert model.chosen_description.startswith("rank mean")


def test_rank_blend_total_is_the_mean_daily_rate_times_horizon():
    area = _area()
    history, _ = _history(area)
    model = Blend(area)
    model.fit(history)
    rate = len(history.cell) / np.ptp(history.t_days)
    assert model.predict(0.0, 7.0).sum() == pytest.approx(7 * rate)


def test_rank_blend_breaks_rank_ties_by_count_first():
    area = _area()
    cells = np.array([0, 0, 0, 1], dtype=np.int64)  # cell 0 three times, cell 1 once
    model = Blend(area, member_weights={"kde": 1.0})
    model.fit(History(cells, np.array([-30.0, -20.0, -10.0, -5.0])))
    scores = model.predict(0.0)
    assert scores[0] > scores[1] > np.median(scores)


def test_rank_blend_fresh_event_tops_recency_heavy_ensemble():
    area = _area()
    history, hot = _history(area)
    fresh = np.setdiff1d(np.arange(area.n_cells), hot)[0]
    cells = np.append(history.cell, fresh)
    t_days = np.append(history.t_days - 300.0, -0.1)  # hot cells quiet for 300 days
    model = Blend(area, member_weights={"count": 1.0, "recent": 3.0})
    model.fit(History(cells, t_days))
    assert int(np.argmax(model.member_maps(0.0)["recent"])) == fresh
    assert int(np.argmax(model.predict(0.0))) == fresh


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ensemble": "vote"}, "ensemble"),
        ({"member_weights": {"magic": 1.0}}, "unknown ensemble member"),
        ({"member_weights": {"count": -1.0}}, "member_weights"),
        ({"member_weights": {"count": 0.0}}, "member_weights"),
    ],
)
def test_rank_blend_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Blend(_area(), **kwargs)


def test_rank_blend_uses_only_the_history_it_is_given():
    area = _area()
    history, _ = _history(area)
    a, b = Blend(area), Blend(area)
    a.fit(history)
    b.fit(History(history.cell, history.t_days))
    future_cells = np.arange(10)
    assert np.array_equal(a.predict(0.0), b.predict(0.0))
    b.fit(
        History(
            np.append(history.cell, future_cells), np.append(history.t_days, 0.5 + 0 * future_cells)
        )
    )
    assert not np.array_equal(a.predict(1.0), b.predict(1.0))
