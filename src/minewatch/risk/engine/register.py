"""Risk register scoring: likelihood × impact on 5 × 5 scales (ISO 31000 style).

ISO 31000 leaves the scales to the organisation, so every threshold here is an
argument with a conventional default: scores 1–4 low, 5–9 medium, 10–16 high,
20–25 extreme (the common 5 × 5 heat-map banding). Likelihood can be suggested
from incident counts: the expected number of incidents per year is mapped to
1 (rare) … 5 (almost certain) by configurable thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCALE_MIN, SCALE_MAX = 1, 5

# (lowest score of the band, band name), ascending.
DEFAULT_BANDS: tuple[tuple[int, str], ...] = (
    (1, "low"),
    (5, "medium"),
    (10, "high"),
    (20, "extreme"),
)

# Incidents per year at which likelihood reaches 2, 3, 4, 5. Below 0.1 a year
# (less than once a decade) is "rare" (1); 10 or more a year is "almost certain" (5).
DEFAULT_LIKELIHOOD_RATES_PER_YEAR: tuple[float, float, float, float] = (0.1, 0.5, 2.0, 10.0)

LIKELIHOOD_LABELS = {1: "rare", 2: "unlikely", 3: "possible", 4: "likely", 5: "almost_certain"}
IMPACT_LABELS = {1: "insignificant", 2: "minor", 3: "moderate", 4: "major", 5: "severe"}


@dataclass(frozen=True)
class RiskScore:
    """A scored risk: the two ratings, their product and its band."""

    likelihood: int
    impact: int
    score: int
    band: str


def check_rating(value: int, field: str) -> int:
    """Return ``value`` or raise ValueError naming ``field`` when it is not 1..5."""
    if isinstance(value, bool) or not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
        raise ValueError(f"{field} must be an integer from 1 to 5, got {value!r}")
    return value


# Band names an organisation may use, least to most severe (the UI translates these).
BAND_NAMES: tuple[str, ...] = ("very_low", "low", "medium", "high", "very_high", "extreme")

# Every score likelihood × impact can take on the 5 × 5 scales.
ATTAINABLE_SCORES: tuple[int, ...] = tuple(
    sorted(
        {a * b for a in range(SCALE_MIN, SCALE_MAX + 1) for b in range(SCALE_MIN, SCALE_MAX + 1)}
    )
)


def check_bands(bands: Sequence[tuple[int, str]], names: Sequence[str] | None = None) -> None:
    """Raise ValueError unless ``bands`` cut the scores 1..25 into contiguous bands.

    Each band runs from its lower bound to the next band's lower bound minus one
    (the last to 25), so bands are contiguous and cover 1..25 when the bounds start
    at 1, strictly increase and stay within 25. Each band must hold at least one
    score the 5 × 5 scales can produce (no band between 17 and 19 alone), and names
    must be unique. With ``names`` (e.g. :data:`BAND_NAMES`), every name must be one
    of them, in the same order (a lower band is never a more severe name).

    Examples
    --------
    >>> check_bands(DEFAULT_BANDS, names=BAND_NAMES)
    >>> check_bands(((1, "high"), (10, "low")), names=BAND_NAMES)
    Traceback (most recent call last):
    ...
    ValueError: band names must run from least to most severe ['very_low', 'low', 'medium', \
'high', 'very_high', 'extreme'], got ['high', 'low']
    """
    lows = [low for low, _ in bands]
    if any(isinstance(low, bool) or not isinstance(low, int) for low in lows):
        raise ValueError(f"band lower bounds must be whole scores, got {lows}")
    if not lows or lows[0] != 1 or any(b <= a for a, b in zip(lows, lows[1:], strict=False)):
        raise ValueError(f"bands must start at score 1 and strictly increase, got {lows}")
    if lows[-1] > SCALE_MAX * SCALE_MAX:
        raise ValueError(f"band lower bound {lows[-1]} exceeds the maximum score 25")
    uppers = [*(b - 1 for b in lows[1:]), SCALE_MAX * SCALE_MAX]
    for (low, name), high in zip(bands, uppers, strict=True):
        if not any(low <= score <= high for score in ATTAINABLE_SCORES):
            raise ValueError(
                f"band {name!r} ({low}–{high}) holds no score likelihood × impact can take"
            )
    labels = [name for _, name in bands]
    if any(not isinstance(name, str) or not name for name in labels):
        raise ValueError(f"band names must be non-empty text, got {labels}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"band names must be unique, got {labels}")
    if names is not None:
        unknown = [name for name in labels if name not in names]
        if unknown:
            raise ValueError(f"unknown band name(s) {unknown}; use {list(names)}")
        ranks = [list(names).index(name) for name in labels]
        if ranks != sorted(ranks):
            raise ValueError(
                f"band names must run from least to most severe {list(names)}, got {labels}"
            )


def band_ranges(bands: Sequence[tuple[int, str]]) -> list[tuple[str, int, int]]:
    """(name, lowest score, highest score) of each band, for a legend.

    Examples
    --------
    >>> band_ranges(DEFAULT_BANDS)[-1]
    ('extreme', 20, 25)
    """
    check_bands(bands)
    lows = [low for low, _ in bands]
    uppers = [*(b - 1 for b in lows[1:]), SCALE_MAX * SCALE_MAX]
    return [(name, low, high) for (low, name), high in zip(bands, uppers, strict=True)]


def score_risk(
    likelihood: int, impact: int, bands: Sequence[tuple[int, str]] = DEFAULT_BANDS
) -> RiskScore:
    """Score a risk as likelihood × impact and name its band.

    Parameters
    ----------
    likelihood, impact : int
        Ratings from 1 to 5.
    bands : sequence of (int, str)
        Lower score bound and name of each band, ascending from 1.

    Returns
    -------
    RiskScore

    Examples
    --------
    >>> score_risk(4, 4)
    RiskScore(likelihood=4, impact=4, score=16, band='high')
    >>> score_risk(2, 2).band
    'low'
    """
    check_rating(likelihood, "likelihood")
    check_rating(impact, "impact")
    check_bands(bands)
    score = likelihood * impact
    band = [name for low, name in bands if score >= low][-1]
    return RiskScore(likelihood, impact, score, band)


def suggest_likelihood(
    incident_count: int,
    period_days: float,
    rates_per_year: Sequence[float] = DEFAULT_LIKELIHOOD_RATES_PER_YEAR,
    forecast_per_year: float | None = None,
) -> int:
    """Suggest a 1..5 likelihood from an incident history (and optionally a forecast).

    The rate is ``incident_count / period_days × 365.25``; when a forecast of
    incidents per year is given, the higher of the two is used (a forecast can
    raise a suggestion, history alone can't hide a rising trend). The caller
    shows the suggestion; it never overwrites a rating a person set.

    Examples
    --------
    >>> suggest_likelihood(3, 365)
    4
    >>> suggest_likelihood(0, 365)
    1
    """
    if incident_count < 0:
        raise ValueError(f"incident_count must be >= 0 incidents, got {incident_count!r}")
    if not period_days > 0:
        raise ValueError(f"period_days must be > 0 days, got {period_days!r}")
    if len(rates_per_year) != 4 or any(
        b <= a for a, b in zip(rates_per_year, rates_per_year[1:], strict=False)
    ):
        raise ValueError(
            f"rates_per_year must be 4 increasing thresholds, got {list(rates_per_year)}"
        )
    rate = incident_count / period_days * 365.25
    if forecast_per_year is not None:
        rate = max(rate, forecast_per_year)
    return 1 + sum(rate >= threshold for threshold in rates_per_year)


def residual_likelihood(inherent_likelihood: int, coverage: float) -> int:
    """Likelihood after controls: the rating reduced in proportion to control coverage.

    A coverage of 0.5 halves the distance above 1, rounded to the nearest rating.

    Examples
    --------
    >>> residual_likelihood(5, 0.5)
    3
    """
    check_rating(inherent_likelihood, "likelihood")
    if not 0 <= coverage <= 1:
        raise ValueError(f"coverage must be a fraction in [0, 1], got {coverage!r}")
    return max(SCALE_MIN, round(1 + (inherent_likelihood - 1) * (1 - coverage)))
