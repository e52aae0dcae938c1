"""Reject physically impossible fixes, with a reason code the ingest layer counts.

A rejected fix is never silently dropped: the caller stores the reason (and
usually the raw message) and increments a counter per reason.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from minewatch.tracking.engine.protocols import Fix

__all__ = ["REJECT_REASONS", "validate_arrays", "validate_fix"]

#: Reason codes, in the order they are checked; index + 1 is the code used by
#: :func:`validate_arrays` (0 means accepted).
REJECT_REASONS: tuple[str, ...] = (
    "lat_out_of_range",
    "lon_out_of_range",
    "null_island",
    "speed_too_high",
    "time_in_future",
    "time_too_old",
)


def _check_limits(max_speed_kmh: float, max_future_skew_s: float) -> None:
    if not max_speed_kmh > 0:
        raise ValueError(f"max_speed_kmh must be > 0 km/h, got {max_speed_kmh}")
    if not max_future_skew_s >= 0:
        raise ValueError(f"max_future_skew_s must be >= 0 s, got {max_future_skew_s}")


def validate_fix(
    fix: Fix,
    *,
    now: datetime,
    max_future_skew_s: float = 300.0,
    max_speed_kmh: float = 300.0,
    max_age_s: float | None = None,
) -> str | None:
    """Return why ``fix`` is impossible, or ``None`` when it is plausible.

    Parameters
    ----------
    fix
        The parsed fix.
    now
        The receiving clock (aware UTC); a fix more than ``max_future_skew_s``
        ahead of it is rejected as ``"time_in_future"``.
    max_future_skew_s
        Tolerated clock skew of trackers, in seconds.
    max_speed_kmh
        Fastest plausible ground speed; a concentrate truck never does 300 km/h.
    max_age_s
        When given, fixes older than this (seconds before ``now``) are
        ``"time_too_old"``.

    Returns
    -------
    str or None
        One of :data:`REJECT_REASONS`. ``(0, 0)`` is ``"null_island"``: trackers
        send it when they have no fix.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> now = datetime(2025, 1, 1, tzinfo=UTC)
    >>> validate_fix(Fix("a", now, -14.1, -72.3, speed_kmh=350.0), now=now)
    'speed_too_high'
    >>> validate_fix(Fix("a", now, -14.1, -72.3, speed_kmh=50.0), now=now) is None
    True
    """
    if now.tzinfo is None:
        raise ValueError(f"now {now!r} is naive; give a UTC-aware datetime")
    _check_limits(max_speed_kmh, max_future_skew_s)
    if not -90.0 <= fix.lat <= 90.0:
        return "lat_out_of_range"
    if not -180.0 <= fix.lon <= 180.0:
        return "lon_out_of_range"
    if fix.lat == 0.0 and fix.lon == 0.0:
        return "null_island"
    if fix.speed_kmh is not None and fix.speed_kmh > max_speed_kmh:
        return "speed_too_high"
    skew_s = (fix.fix_time - now).total_seconds()
    if skew_s > max_future_skew_s:
        return "time_in_future"
    if max_age_s is not None and -skew_s > max_age_s:
        return "time_too_old"
    return None


def validate_arrays(
    lat: np.ndarray,
    lon: np.ndarray,
    speed_kmh: np.ndarray,
    time_ms: np.ndarray,
    *,
    now_ms: int,
    max_future_skew_s: float = 300.0,
    max_speed_kmh: float = 300.0,
    max_age_s: float | None = None,
) -> np.ndarray:
    """Vectorised :func:`validate_fix`: a reason code per fix (0 = accepted).

    Code ``k > 0`` means ``REJECT_REASONS[k - 1]``; when several apply the
    first in :data:`REJECT_REASONS` wins. ``speed_kmh`` may hold NaN (unknown).

    Examples
    --------
    >>> import numpy as np
    >>> codes = validate_arrays(np.array([-14.0, 95.0]), np.array([-72.0, 0.0]),
    ...                         np.array([40.0, 10.0]), np.array([0, 0]), now_ms=0)
    >>> [REJECT_REASONS[c - 1] if c else None for c in codes]
    [None, 'lat_out_of_range']
    """
    _check_limits(max_speed_kmh, max_future_skew_s)
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    time_ms = np.asarray(time_ms, dtype=np.int64)
    checks = [
        ~((lat >= -90.0) & (lat <= 90.0)),
        ~((lon >= -180.0) & (lon <= 180.0)),
        (lat == 0.0) & (lon == 0.0),
        np.asarray(speed_kmh, dtype=float) > max_speed_kmh,
        time_ms > now_ms + int(max_future_skew_s * 1000),
        np.zeros(lat.shape, bool) if max_age_s is None else time_ms < now_ms - max_age_s * 1000,
    ]
    codes = np.zeros(lat.shape, np.int8)
    for code in range(len(checks), 0, -1):
        codes[checks[code - 1]] = code
    return codes
