"""Hierarchical (H3 parent) shrinkage, multi-coverage hits and the blend's chooser."""

import numpy as np
import pytest

from minewatch.risk.engine.blend import Blend
from minewatch.risk.engine.forecast import History
from minewatch.risk.engine.grid import build_study_area, parent_groups
from minewatch.risk.engine.hierarchy import hierarchical_counts
from minewatch.risk.engine.metrics import expected_hits_at_coverage, expected_hits_at_coverages

TWO_PARENTS = [np.array([0, 0, 0, 1, 1, 1])]


def test_shrinkage_ranks_single_event_in_busy_parent_above_one_in_quiet_parent():
    counts = np.array([1.0, 0, 0, 1, 1, 1])
    estimate = hierarchical_counts(counts, np.ones(6), TWO_PARENTS, 1.0)
    assert estimate[3] > estimate[0]


def test_shrinkage_breaks_ties_among_empty_cells_by_parent_rate():
    counts = np.array([0.0, 0, 3, 0, 0, 0])
    estimate = hierarchical_counts(counts, np.ones(6), TWO_PARENTS, 1.0)
    assert estimate[0] > estimate[3]


def test_shrinkage_keeps_count_order_within_a_parent():
    counts = np.array([5.0, 2, 0, 1, 0, 0])
    estimate = hierarchical_counts(counts, np.ones(6), TWO_PARENTS, 1.0)
    assert estimate[0] > estimate[1] > estimate[2]


@pytest.mark.parametrize(
    ("strength", "expected"),
    [(0.0, [4.0, 0, 0, 0, 0, 2]), (1e9, [1.0] * 6)],
)
def test_shrinkage_limits_are_raw_count_and_whole_area_rate(strength, expected):
    counts = np.array([4.0, 0, 0, 0, 0, 2])
    estimate = hierarchical_counts(counts, np.ones(6), TWO_PARENTS, strength)
    assert estimate == pytest.approx(expected, rel=1e-6)


def test_shrinkage_rejects_negative_strength():
    with pytest.raises(ValueError, match="strength"):
        hierarchical_counts(np.ones(6), np.ones(6), TWO_PARENTS, -1.0)


def test_parent_groups_nest_across_levels():
    area = build_study_area(np.array([-14.0, -14.05]), np.array([-72.0, -72.05]), 9)
    fine, coarse = parent_groups(area, 1), parent_groups(area, 2)
    for group in np.unique(fine):
        assert len(np.unique(coarse[fine == group])) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multi_coverage_hits_equal_single_coverage_hits(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, 50).astype(float)
    area, hits = rng.uniform(1, 2, 50), rng.integers(0, 3, 50)
    coverages = (0.05, 0.1, 0.37, 1.0)
    many = expected_hits_at_coverages(scores, area, hits, coverages)
    one = [expected_hits_at_coverage(scores, area, hits, c) for c in coverages]
    assert many == pytest.approx(one)


def _bursty_history(area, days=200, seed=4):
    """Events in a few hot cells, plus repeats in a new cell the last days."""
    rng = np.random.default_rng(seed)
    hot = rng.choice(area.n_cells, 5, replace=False)
    t_days = np.sort(rng.uniform(-days, 0, 400))
    cells = rng.choice(hot, len(t_days))
    return History(cells.astype(np.int64), t_days), hot


def test_blend_chooser_uses_only_history_and_ranks_hot_cells_first():
    area = build_study_area(np.array([-14.0, -14.1]), np.array([-72.0, -72.1]), 8)
    history, hot = _bursty_history(area)
    model = Blend(area, use_sepp=False, ensemble="choose")
    model.fit(history)
    top = np.argsort(model.predict(0.0))[::-1][:3]
    assert set(top) <= set(hot)
    assert model.tuned_at == 0.0
    assert model.chosen in model.candidates


def test_blend_tie_break_orders_cells_a_count_ties():
    area = build_study_area(np.array([-14.0, -14.1]), np.array([-72.0, -72.1]), 8)
    history, _ = _bursty_history(area)
    model = Blend(
        area, shrink_strengths=(), bandwidths_edges=(1.0,), use_sepp=False, ensemble="choose"
    )
    model.fit(history)
    assert model.chosen_description.startswith(("count", "kde"))
    scores = model.predict(0.0)
    empty = np.setdiff1d(np.arange(area.n_cells), history.cell)
    assert len(np.unique(scores[empty])) > len(empty) // 2


def test_blend_rejects_negative_shrink_strength():
    area = build_study_area(np.array([-14.0, -14.1]), np.array([-72.0, -72.1]), 8)
    with pytest.raises(ValueError, match="shrink_strengths"):
        Blend(area, shrink_strengths=(-1.0,))
