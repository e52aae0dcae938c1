"""Cost of inaction: expected annual loss per threat, by Monte Carlo.

Frequency: incidents per year, Poisson when the yearly counts are not
over-dispersed, else negative binomial (method of moments on yearly counts).
Severity: lognormal fitted to the observed losses (log-moments); with fewer
than ``min_losses`` losses, a prior lognormal (``prior_median_usd``,
``prior_sigma``) is blended in by credibility weight ``n / min_losses``.
Controls reduce frequency by their coverage (from :mod:`.gaps`):
``rate × (1 - coverage)``. The same seed gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_PRIOR_MEDIAN_USD = 50_000.0
DEFAULT_PRIOR_SIGMA = 1.5
DEFAULT_MIN_LOSSES = 5


@dataclass(frozen=True)
class FrequencyModel:
    """Incidents per year: mean and negative-binomial dispersion (None = Poisson)."""

    mean_per_year: float
    dispersion_k: float | None


@dataclass(frozen=True)
class SeverityModel:
    """Lognormal loss per incident (USD): parameters of log(loss)."""

    mu_log_usd: float
    sigma_log: float


@dataclass(frozen=True)
class LossSummary:
    """Annual loss distribution summary, USD."""

    mean_usd: float
    p50_usd: float
    p90_usd: float
    p99_usd: float


def fit_frequency(yearly_counts: Sequence[int]) -> FrequencyModel:
    """Fit incidents per year; negative binomial when variance exceeds the mean.

    Examples
    --------
    >>> fit_frequency([2, 2, 2]).dispersion_k is None
    True
    >>> round(fit_frequency([0, 10, 2]).dispersion_k, 2)
    0.67
    >>> fit_frequency([1, 0, 0]).dispersion_k is None   # variance equals the mean
    True
    """
    counts = np.asarray(yearly_counts, float)
    if len(counts) == 0 or np.any(counts < 0):
        raise ValueError("yearly_counts must be one or more incident counts >= 0")
    mean = float(counts.mean())
    variance = float(counts.var(ddof=1)) if len(counts) > 1 else mean
    # Over-dispersion within rounding error (e.g. [1, 0, 0]: variance == mean
    # exactly, but not in floating point) is Poisson; otherwise k explodes and
    # the negative binomial loses the rate to rounding.
    if mean == 0 or variance - mean <= 1e-9 * max(mean, 1.0):
        return FrequencyModel(mean, None)
    return FrequencyModel(mean, mean**2 / (variance - mean))


def fit_severity(
    losses_usd: Sequence[float],
    prior_median_usd: float = DEFAULT_PRIOR_MEDIAN_USD,
    prior_sigma: float = DEFAULT_PRIOR_SIGMA,
    min_losses: int = DEFAULT_MIN_LOSSES,
) -> SeverityModel:
    """Lognormal severity from losses, shrunk to the prior when losses are few.

    Examples
    --------
    >>> model = fit_severity([])
    >>> round(float(np.exp(model.mu_log_usd)))
    50000
    """
    losses = np.asarray(losses_usd, float)
    if np.any(losses <= 0):
        raise ValueError("losses_usd must be positive amounts in USD")
    if not prior_median_usd > 0 or not prior_sigma > 0:
        raise ValueError("prior_median_usd and prior_sigma must be > 0")
    prior_mu = float(np.log(prior_median_usd))
    if len(losses) == 0:
        return SeverityModel(prior_mu, prior_sigma)
    logs = np.log(losses)
    sigma = float(logs.std(ddof=1)) if len(logs) > 1 else prior_sigma
    weight = min(len(losses) / min_losses, 1.0)
    return SeverityModel(
        weight * float(logs.mean()) + (1 - weight) * prior_mu,
        weight * sigma + (1 - weight) * prior_sigma,
    )


def simulate_annual_losses(
    frequency: FrequencyModel,
    severity: SeverityModel,
    coverage: float = 0.0,
    years: int = 20_000,
    seed: int | np.random.SeedSequence = 0,
) -> np.ndarray:
    """Monte Carlo annual losses (USD), one per simulated year.

    Parameters
    ----------
    frequency, severity : FrequencyModel, SeverityModel
    coverage : float
        Control coverage 0..1; the incident rate is multiplied by ``1 - coverage``.
    years : int
        Simulated years.
    seed : int or numpy SeedSequence
        Random seed; same seed, same result.

    Examples
    --------
    >>> annual = simulate_annual_losses(FrequencyModel(2.0, None), SeverityModel(10.0, 1.0))
    >>> annual.shape
    (20000,)
    """
    if not 0 <= coverage <= 1:
        raise ValueError(f"coverage must be a fraction in [0, 1], got {coverage!r}")
    if years < 1:
        raise ValueError(f"years must be >= 1 simulated years, got {years!r}")
    rng = np.random.default_rng(seed)
    rate = frequency.mean_per_year * (1 - coverage)
    if frequency.dispersion_k is None or rate == 0:
        counts = rng.poisson(rate, years)
    else:
        k = frequency.dispersion_k
        counts = rng.negative_binomial(k, k / (k + rate), years)
    draws = rng.lognormal(severity.mu_log_usd, severity.sigma_log, int(counts.sum()))
    year_of_draw = np.repeat(np.arange(years), counts)
    return np.bincount(year_of_draw, weights=draws, minlength=years)


def summarise_annual_losses(annual: np.ndarray) -> LossSummary:
    """Mean and P50/P90/P99 of simulated annual losses."""
    p50, p90, p99 = np.percentile(annual, [50, 90, 99])
    return LossSummary(float(annual.mean()), float(p50), float(p90), float(p99))


def simulate_annual_loss(
    frequency: FrequencyModel,
    severity: SeverityModel,
    coverage: float = 0.0,
    years: int = 20_000,
    seed: int | np.random.SeedSequence = 0,
) -> LossSummary:
    """Monte Carlo annual loss summary (see :func:`simulate_annual_losses`).

    Examples
    --------
    >>> s = simulate_annual_loss(FrequencyModel(2.0, None), SeverityModel(10.0, 1.0), seed=1)
    >>> s.mean_usd > 0
    True
    """
    return summarise_annual_losses(
        simulate_annual_losses(frequency, severity, coverage, years, seed)
    )


def portfolio_cost_of_inaction(
    risks: Mapping[str, tuple[Sequence[int], Sequence[float], float, float]],
    years: int = 20_000,
    seed: int = 0,
) -> dict[str, dict[str, LossSummary | float]]:
    """Cost of inaction per risk and for all of them together (key ``"total"``).

    ``risks`` maps a name to (yearly counts, losses, proposed coverage, current
    coverage) as in :func:`cost_of_inaction`. Each risk draws from its own random
    stream (spawned from ``seed``, so risks are independent and the result is
    repeatable); the total sums the same simulated years, so its percentiles are
    those of the site's whole annual loss, not a sum of percentiles.

    Examples
    --------
    >>> r = portfolio_cost_of_inaction({"a": ([1, 0, 0], [], 0.5, 0.0),
    ...                                 "b": ([1, 0, 1], [], 0.0, 0.0)}, seed=2)
    >>> r["total"]["without_controls"].p50_usd > 0 == r["a"]["without_controls"].p50_usd
    True
    """
    if "total" in risks:
        raise ValueError("'total' is reserved for the sum of the risks")
    streams = np.random.SeedSequence(seed).spawn(len(risks))
    result: dict[str, dict[str, LossSummary | float]] = {}
    total_without, total_with = np.zeros(years), np.zeros(years)
    for stream, (name, (counts, losses, proposed, current)) in zip(
        streams, risks.items(), strict=True
    ):
        if not 0 <= current < 1 or not 0 <= proposed <= 1:
            raise ValueError("coverages must be fractions: current in [0, 1), proposed in [0, 1]")
        frequency, severity = fit_frequency(counts), fit_severity(losses)
        reduced = float(np.clip(1 - (1 - proposed) / (1 - current), 0, 1))
        without = simulate_annual_losses(frequency, severity, 0.0, years, stream)
        with_controls = simulate_annual_losses(frequency, severity, reduced, years, stream)
        total_without += without
        total_with += with_controls
        result[name] = _comparison(without, with_controls)
    result["total"] = _comparison(total_without, total_with)
    return result


def _comparison(without: np.ndarray, with_controls: np.ndarray) -> dict[str, LossSummary | float]:
    before, after = summarise_annual_losses(without), summarise_annual_losses(with_controls)
    return {"without_controls": before, "with_controls": after,
            "expected_saving_usd": before.mean_usd - after.mean_usd}  # fmt: skip


def cost_of_inaction(
    yearly_counts: Sequence[int],
    losses_usd: Sequence[float],
    proposed_coverage: float,
    current_coverage: float = 0.0,
    years: int = 20_000,
    seed: int = 0,
) -> dict[str, LossSummary | float]:
    """Annual loss now and with a proposed set of controls, and what they are worth.

    ``yearly_counts`` are observed under ``current_coverage``; the proposed
    controls' coverage replaces it (rate scaled by (1 - proposed)/(1 - current)).
    Both runs use the same random stream, so the difference is the controls' effect.
    The one-risk case of :func:`portfolio_cost_of_inaction`.

    Examples
    --------
    >>> r = cost_of_inaction([3, 5, 4], [20_000, 80_000], proposed_coverage=0.5, seed=3)
    >>> r["with_controls"].mean_usd < r["without_controls"].mean_usd
    True
    """
    risk = (yearly_counts, losses_usd, proposed_coverage, current_coverage)
    return portfolio_cost_of_inaction({"risk": risk}, years, seed)["risk"]
