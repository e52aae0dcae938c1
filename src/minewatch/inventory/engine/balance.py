"""Dry mass, its uncertainty, and the balance of one trip between two custody points.

Error model (docs/inventory.md states it for operators):

* A weighbridge reads the wet mass ``W`` with a maximum permissible error of
  ``mpe_pct`` % of the load (its accuracy class). Within the MPE every error is
  taken as equally likely (GUM rectangular distribution), so its standard
  deviation is ``W * mpe_pct / 100 / sqrt(3)``.
* Moisture ``m`` (% wet basis) comes from a sample; its sampling error has a
  standard deviation of ``moisture_sd_pp`` percentage points.
* Dry mass ``D = W * (1 - m / 100)``; to first order
  ``var(D) = ((1 - m/100) * sd_W)^2 + (W * moisture_sd_pp / 100)^2``.
* The two custody points use different instruments and samples, so the errors
  of a trip's difference ``D_out - D_in`` add in quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_MOISTURE_PCT = 30.0


def _check(wet_t: NDArray, moisture_pct: NDArray) -> None:
    if np.any(~np.isfinite(wet_t)) or np.any(wet_t <= 0):
        raise ValueError(f"wet mass must be a positive number of tonnes, got {wet_t!r}")
    if np.any(~np.isfinite(moisture_pct)) or np.any(
        (moisture_pct < 0) | (moisture_pct > MAX_MOISTURE_PCT)
    ):
        raise ValueError(f"moisture must be 0..{MAX_MOISTURE_PCT:g} %, got {moisture_pct!r}")


def dry_tonnes(wet_t: ArrayLike, moisture_pct: ArrayLike) -> NDArray[np.float64]:
    """Dry mass (t) from wet mass (t) and moisture (% wet basis).

    Examples
    --------
    >>> float(dry_tonnes(30.0, 8.0))
    27.6

    Raises ``ValueError`` for a mass ≤ 0 t or a moisture outside 0–30 %.
    """
    wet = np.asarray(wet_t, dtype=float)
    moisture = np.asarray(moisture_pct, dtype=float)
    _check(wet, moisture)
    return wet * (1.0 - moisture / 100.0)


def dry_sigma_t(
    wet_t: ArrayLike, moisture_pct: ArrayLike, mpe_pct: ArrayLike, moisture_sd_pp: float
) -> NDArray[np.float64]:
    """Standard deviation (t) of one weighing's dry mass under the module's error model.

    Examples
    --------
    >>> round(float(dry_sigma_t(30.0, 8.0, 0.1, 0.3)), 4)
    0.0914
    """
    wet = np.asarray(wet_t, dtype=float)
    moisture = np.asarray(moisture_pct, dtype=float)
    mpe = np.asarray(mpe_pct, dtype=float)
    _check(wet, moisture)
    if np.any(mpe < 0) or moisture_sd_pp < 0:
        raise ValueError("accuracy (mpe_pct) and moisture_sd_pp must be ≥ 0")
    weighing_sd = wet * mpe / 100.0 / math.sqrt(3.0)
    moisture_sd = wet * moisture_sd_pp / 100.0
    return np.sqrt(((1.0 - moisture / 100.0) * weighing_sd) ** 2 + moisture_sd**2)


@dataclass(frozen=True)
class TripBalance:
    """Dry tonnes dispatched and received, the difference (positive = missing) and its z-score."""

    dispatched_dry_t: float
    received_dry_t: float
    difference_t: float
    sigma_t: float

    @property
    def z_score(self) -> float:
        return self.difference_t / self.sigma_t if self.sigma_t > 0 else 0.0

    @property
    def difference_pct(self) -> float:
        return 100.0 * self.difference_t / self.dispatched_dry_t


def trip_balance(
    *, out_wet_t: float, out_moisture_pct: float, out_mpe_pct: float,
    in_wet_t: float, in_moisture_pct: float, in_mpe_pct: float, moisture_sd_pp: float,
) -> TripBalance:  # fmt: skip
    """The dry-mass balance of one trip between a dispatch and a receipt weighing.

    Examples
    --------
    >>> b = trip_balance(out_wet_t=30, out_moisture_pct=8, out_mpe_pct=0.1,
    ...                  in_wet_t=29.9, in_moisture_pct=8, in_mpe_pct=0.1, moisture_sd_pp=0.3)
    >>> round(b.difference_t, 3), round(b.z_score, 2)
    (0.092, 0.71)
    """
    out_dry = float(dry_tonnes(out_wet_t, out_moisture_pct))
    in_dry = float(dry_tonnes(in_wet_t, in_moisture_pct))
    sd_out = float(dry_sigma_t(out_wet_t, out_moisture_pct, out_mpe_pct, moisture_sd_pp))
    sd_in = float(dry_sigma_t(in_wet_t, in_moisture_pct, in_mpe_pct, moisture_sd_pp))
    return TripBalance(out_dry, in_dry, out_dry - in_dry, math.hypot(sd_out, sd_in))


def trip_alarm(z_score: float, z_alarm: float) -> bool:
    """True when a single trip's missing mass is beyond its tolerance (one-sided test).

    >>> trip_alarm(3.5, 3.09), trip_alarm(-5.0, 3.09)
    (True, False)
    """
    return z_score > z_alarm
