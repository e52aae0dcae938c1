"""The pure inventory engine: dry mass and its error model, trip balance, CUSUM, seals, reconciliation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minewatch.inventory.engine.balance import dry_sigma_t, dry_tonnes, trip_alarm, trip_balance
from minewatch.inventory.engine.reconciliation import reconcile
from minewatch.inventory.engine.seals import compare_seals
from minewatch.inventory.engine.sequential import cusum_alarms, cusum_path, siegmund_arl


@pytest.mark.parametrize("wet,moisture", [(-1.0, 8.0), (0.0, 8.0), (30.0, -0.1), (30.0, 30.5),
                                          (float("nan"), 8.0)])  # fmt: skip
def test_dry_mass_refuses_impossible_values(wet, moisture):
    with pytest.raises(ValueError):
        dry_tonnes(wet, moisture)


def test_dry_sigma_adds_weighing_and_moisture_errors_in_quadrature():
    only_scale = float(dry_sigma_t(30.0, 10.0, 0.1, 0.0))
    only_moisture = float(dry_sigma_t(30.0, 10.0, 0.0, 0.3))
    assert only_scale == pytest.approx(30 * 0.9 * 0.001 / math.sqrt(3))
    assert only_moisture == pytest.approx(30 * 0.003)
    assert float(dry_sigma_t(30.0, 10.0, 0.1, 0.3)) == pytest.approx(math.hypot(only_scale,
                                                                               only_moisture))  # fmt: skip


def test_trip_balance_sign_positive_when_mass_goes_missing():
    balance = trip_balance(out_wet_t=30, out_moisture_pct=8, out_mpe_pct=0.1, in_wet_t=29,
                           in_moisture_pct=8, in_mpe_pct=0.1, moisture_sd_pp=0.3)  # fmt: skip
    assert balance.difference_t == pytest.approx(0.92)
    assert balance.z_score > 3.09 and trip_alarm(balance.z_score, 3.09)
    gained = trip_balance(out_wet_t=29, out_moisture_pct=8, out_mpe_pct=0.1, in_wet_t=30,
                          in_moisture_pct=8, in_mpe_pct=0.1, moisture_sd_pp=0.3)  # fmt: skip
    assert not trip_alarm(gained.z_score, 3.09)


def test_cusum_finds_small_shift_and_says_when_it_began():
    rng = np.random.default_rng(7)
    clean = rng.normal(0, 1, 100)
    shifted = rng.normal(0.7, 1, 100)
    z = np.concatenate([clean, shifted])
    alarms = cusum_alarms(z, k=0.3, h=7.0, differences_t=np.full(200, 0.1))
    first = next(a for a in alarms if a.alarm_index >= 100)
    assert 100 <= first.alarm_index < 160
    assert first.start_index >= 80  # the run began near the change, not at the start
    assert first.estimated_loss_t == pytest.approx(
        0.1 * (first.alarm_index - first.start_index + 1)
    )


def test_cusum_path_never_negative_and_resets():
    assert cusum_path([-5, 1, 1], 0.5).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("k,h", [(0.3, 0.0), (-0.1, 5.0)])
def test_cusum_refuses_bad_parameters(k, h):
    with pytest.raises(ValueError):
        cusum_alarms([0.0], k=k, h=h) if h <= 0 else cusum_path([0.0], k)


def test_siegmund_in_control_arl_meets_target_for_defaults():
    assert siegmund_arl(0.3, 7.0) >= 500
    assert siegmund_arl(0.3, 7.0, shift=0.64) < 40


def test_seals_each_status():
    assert compare_seals(["A", "B", "C"], [("A", True), ("B", False), ("X", True)]) == [
        ("A", "matched"), ("B", "broken"), ("C", "missing"), ("X", "different")]  # fmt: skip


def test_reconcile_groups_and_uncertainty():
    rows = reconcile([("r", 10.0, 9.0, 0.3), ("r", 10.0, 10.0, 0.4)])
    assert rows[0].trips == 2 and rows[0].difference_t == pytest.approx(1.0)
    assert rows[0].sigma_t == pytest.approx(0.5) and rows[0].z_score == pytest.approx(2.0)
