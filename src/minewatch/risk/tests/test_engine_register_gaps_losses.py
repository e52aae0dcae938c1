"""Risk register scoring, capability gaps and the Monte Carlo loss model."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minewatch.risk.engine
from minewatch.risk.engine.gaps import (
    DEFAULT_EFFECTIVENESS,
    THREATS,
    capability_gaps,
    effectiveness_matrix,
    threat_coverage,
)
from minewatch.risk.engine.losses import (
    FrequencyModel,
    SeverityModel,
    cost_of_inaction,
    fit_frequency,
    fit_severity,
    simulate_annual_loss,
)
from minewatch.risk.engine.register import score_risk, suggest_likelihood

SEED_CONTROLS = {
    "cctv", "drone_patrols", "perimeter_intrusion_alarms", "access_control", "guard_patrols",
    "radio_communication", "fleet_tracking", "escorts", "identity_cargo_verification",
    "inventory_control", "remote_operations_centre", "personnel_screening", "police_agreement",
    "armed_forces_presence", "community_relations_programme", "early_warning_network",
}  # fmt: skip


@pytest.mark.parametrize(
    ("likelihood", "impact", "score", "band"),
    [(1, 1, 1, "low"), (2, 2, 4, "low"), (1, 5, 5, "medium"), (3, 3, 9, "medium"),
     (2, 5, 10, "high"), (4, 4, 16, "high"), (4, 5, 20, "extreme"), (5, 5, 25, "extreme")],
)  # fmt: skip
def test_score_and_default_band(likelihood, impact, score, band):
    result = score_risk(likelihood, impact)
    assert (result.score, result.band) == (score, band)


def test_custom_bands_apply():
    assert score_risk(3, 3, bands=((1, "ok"), (9, "act"))).band == "act"


@pytest.mark.parametrize(("field", "args"), [("likelihood", (0, 3)), ("impact", (3, 6))])
def test_rating_outside_scale_names_field(field, args):
    with pytest.raises(ValueError, match=field):
        score_risk(*args)


@pytest.mark.parametrize(
    ("count", "days", "forecast", "expected"),
    [(0, 365, None, 1), (1, 3650, None, 2), (1, 365, None, 3), (3, 365, None, 4),
     (12, 365, None, 5), (0, 365, 12.0, 5)],
)  # fmt: skip
def test_likelihood_suggested_from_rate(count, days, forecast, expected):
    assert suggest_likelihood(count, days, forecast_per_year=forecast) == expected


def test_default_matrix_covers_seed_controls_and_threats():
    assert set(DEFAULT_EFFECTIVENESS) == SEED_CONTROLS
    matrix = effectiveness_matrix()
    assert all(set(row) == set(THREATS) for row in matrix.values())
    assert all(0 <= e <= 1 for row in matrix.values() for e in row.values())


def test_coverage_combines_as_independent_barriers():
    matrix = {"a": dict.fromkeys(THREATS, 0.5), "b": dict.fromkeys(THREATS, 0.4)}
    coverage, parts = threat_coverage("terrorism", {"a": 1.0, "b": 0.5}, matrix)
    assert coverage == pytest.approx(1 - 0.5 * 0.8)
    assert parts == {"a": 0.5, "b": pytest.approx(0.2)}


def test_high_threat_with_wrong_controls_is_structural_imbalance():
    gaps = capability_gaps(
        {"organised_crime": 0.9, "social_conflict": 0.9},
        {"community_relations_programme": 1.0},
    )
    by_threat = {gap.threat: gap for gap in gaps}
    assert by_threat["organised_crime"].is_structural_imbalance
    assert not by_threat["social_conflict"].is_structural_imbalance
    assert gaps[0].threat == "organised_crime"  # largest gap first


def test_low_threat_never_flagged():
    gaps = capability_gaps({"terrorism": 0.2}, {})
    assert gaps[0].gap == pytest.approx(0.2)
    assert not gaps[0].is_structural_imbalance


def test_unknown_control_is_named():
    with pytest.raises(ValueError, match="'laser_moat'"):
        threat_coverage("internal", {"laser_moat": 1.0})


def test_monte_carlo_same_seed_same_result():
    frequency, severity = FrequencyModel(4.0, 1.5), SeverityModel(11.0, 1.2)
    first = simulate_annual_loss(frequency, severity, seed=42, years=5_000)
    assert first == simulate_annual_loss(frequency, severity, seed=42, years=5_000)
    assert first != simulate_annual_loss(frequency, severity, seed=43, years=5_000)


def test_monte_carlo_mean_matches_analytic_poisson_lognormal():
    # E[annual loss] = rate × exp(mu + sigma² / 2)
    summary = simulate_annual_loss(
        FrequencyModel(3.0, None), SeverityModel(10.0, 0.5), years=40_000
    )
    expected = 3.0 * 2.718281828 ** (10.0 + 0.125)
    assert summary.mean_usd == pytest.approx(expected, rel=0.03)
    assert summary.p50_usd <= summary.p90_usd <= summary.p99_usd


def test_controls_reduce_loss_by_coverage():
    result = cost_of_inaction([4, 6, 5], [30_000, 90_000, 50_000, 70_000], 0.5, seed=7)
    ratio = result["with_controls"].mean_usd / result["without_controls"].mean_usd
    assert ratio == pytest.approx(0.5, abs=0.05)
    assert result["expected_saving_usd"] > 0


def test_overdispersed_counts_use_negative_binomial():
    assert fit_frequency([0, 0, 12, 1]).dispersion_k is not None
    assert fit_frequency([3, 3, 3]).dispersion_k is None


def test_few_losses_shrink_towards_prior():
    one = fit_severity([1_000_000.0], prior_median_usd=10_000.0, min_losses=5)
    many = fit_severity([1_000_000.0] * 2 + [900_000.0] * 3, prior_median_usd=10_000.0)
    assert one.mu_log_usd < many.mu_log_usd


def test_engine_modules_import_no_django():
    # A fresh interpreter: pytest-django may already have imported django in this one.
    code = (
        "import importlib, pkgutil, sys, minewatch.risk.engine as e\n"
        "for m in pkgutil.iter_modules(e.__path__):\n"
        "    importlib.import_module('minewatch.risk.engine.' + m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'django'))\n"
    )
    src = str(Path(minewatch.risk.engine.__file__).parents[3])
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
