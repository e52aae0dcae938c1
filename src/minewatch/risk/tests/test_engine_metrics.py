"""Hit rate and PAI computed by hand on tiny cases."""

import numpy as np
import pytest

from minewatch.risk.engine.metrics import expected_hits_at_coverage, hit_rate_and_pai

# Ten cells of equal area; 10 % coverage is exactly one cell.
HITS = np.array([3, 1, 0, 0, 0, 0, 0, 0, 0, 1])


@pytest.mark.parametrize(
    ("scores", "coverage", "expected"),
    [
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 0.10, 3.0),  # top cell holds 3 events
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 0.20, 4.0),  # top two hold 3 + 1
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 0.15, 3.5),  # half of the second cell
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 0.10, 1.0),  # wrong cell ranked first
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.10, 0.5),  # all tied: expected share 5 × 0.1
        ([5, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0.10, 2.0),  # two tied cells, one taken: (3+1)/2
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 1.00, 5.0),  # full coverage catches all
    ],
)
def test_expected_hits_by_hand(scores, coverage, expected):
    captured = expected_hits_at_coverage(np.array(scores, float), np.ones(10), HITS, coverage)
    assert captured == pytest.approx(expected)


def test_unequal_areas_use_area_not_cell_count():
    # The big top cell alone is 50 % of the area: at 25 % coverage half of it is taken.
    area = np.array([5.0, 1, 1, 1, 1, 1])
    hits = np.array([4, 2, 0, 0, 0, 0])
    assert expected_hits_at_coverage(np.arange(6)[::-1] * 1.0, area, hits, 0.25) == 2.0


def test_pai_is_hit_rate_over_coverage():
    assert hit_rate_and_pai(3.0, 10, 0.05) == pytest.approx((0.3, 6.0))


def test_no_events_gives_none():
    assert hit_rate_and_pai(0.0, 0, 0.05) == (None, None)


@pytest.mark.parametrize("coverage", [0.0, -0.1, 1.5])
def test_coverage_outside_unit_interval_rejected(coverage):
    with pytest.raises(ValueError, match="coverage"):
        expected_hits_at_coverage(np.ones(3), np.ones(3), np.ones(3), coverage)
