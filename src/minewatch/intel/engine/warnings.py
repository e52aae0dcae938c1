"""Early warnings: graded reports and incidents that cluster near a site or a route. Pure.

The method (documented for analysts):

1. every *signal* (an intelligence report or an incident) has a time, a point and a
   weight: a report weighs its Admiralty grade (:func:`grading.grade_weight`, A1 = 1.0,
   F6 = 0.09), an incident weighs what the caller gives it (MineWatch uses 1.0 for a
   verified incident, 0.7 for one only reported);
2. a signal is *near* a target when it lies within ``distance_km`` of the site's point
   or of the route's line (distances on a local equirectangular projection, which errs
   by far less than 1 % at the few tens of kilometres used here);
3. for each target, a window of ``window_days`` slides over the nearby signals in time
   order; wherever the summed weight in the window reaches ``min_weight`` (and at least
   ``min_signals`` signals are in it), the target is in alarm. Each uninterrupted run of
   alarm windows is one *episode*, and each episode gives one warning: the window with
   the largest weight in it, with its signals as the reasons.

So three C3 reports (0.36 each) and one verified incident (1.0) within 14 days and 10 km
of a mine make 2.08 and raise a warning at the default threshold of 2.0, while ten F6
rumours (0.9 together) do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import LineString, Point

EARTH_RADIUS_KM = 6371.0088
DEFAULT_WINDOW_DAYS = 14.0
DEFAULT_DISTANCE_KM = 10.0
DEFAULT_MIN_WEIGHT = 2.0
DEFAULT_MIN_SIGNALS = 2


@dataclass(frozen=True)
class Signal:
    """A report or incident: ``key`` like ``report:12``, aware UTC time, point, weight in 0..1."""

    key: str
    kind: str
    at: dt.datetime
    lat: float
    lon: float
    weight: float


@dataclass(frozen=True)
class Target:
    """A site (one point) or a route (a line of ``(lon, lat)`` vertices) to watch."""

    key: str
    kind: str
    lat: float | None = None
    lon: float | None = None
    line_lonlat: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Reason:
    """One signal that contributed to a warning, with its distance to the target."""

    key: str
    kind: str
    at: dt.datetime
    distance_km: float
    weight: float


@dataclass(frozen=True)
class ClusterWarning:
    """A cluster near ``target_key`` between ``window_start`` and ``window_end``."""

    target_key: str
    target_kind: str
    window_start: dt.datetime
    window_end: dt.datetime
    total_weight: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def fingerprint(self) -> str:
        """Stable identity: the target and the set of signals (order-free)."""
        members = ",".join(sorted(r.key for r in self.reasons))
        return hashlib.sha256(f"{self.target_key}|{members}".encode()).hexdigest()[:32]


def _check_params(window_days: float, distance_km: float, min_weight: float, min_signals: int):
    if not window_days > 0:
        raise ValueError(f"window_days must be > 0 days, got {window_days}")
    if not distance_km > 0:
        raise ValueError(f"distance_km must be > 0 km, got {distance_km}")
    if not min_weight > 0:
        raise ValueError(f"min_weight must be > 0, got {min_weight}")
    if min_signals < 1:
        raise ValueError(f"min_signals must be at least 1 signal, got {min_signals}")


def _check_signal(signal: Signal) -> None:
    if signal.at.tzinfo is None or signal.at.utcoffset() is None:
        raise ValueError(f"signal {signal.key}: time {signal.at} is naive; give an aware UTC time")
    if not 0 <= signal.weight <= 1:
        raise ValueError(f"signal {signal.key}: weight {signal.weight} is outside 0..1")


def distances_km(target: Target, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distance in km from each point to the target (its point, or the nearest part of its line).

    >>> t = Target("site:1", "site", lat=0.0, lon=0.0)
    >>> [round(d, 1) for d in distances_km(t, np.array([0.0, 1.0]), np.array([1.0, 0.0]))]
    [111.2, 111.2]
    """
    if target.line_lonlat:
        line = np.asarray(target.line_lonlat, dtype=float)
        lat0 = math.radians(float(np.mean(line[:, 1])))
        scale = np.array([math.cos(lat0), 1.0]) * math.radians(1) * EARTH_RADIUS_KM
        projected = LineString(line * scale)
        points = np.column_stack([lons, lats]) * scale
        return np.array([projected.distance(Point(p)) for p in points])
    if target.lat is None or target.lon is None:
        raise ValueError(f"target {target.key} has neither a point nor a line")
    lat1, lon1 = math.radians(target.lat), math.radians(target.lon)
    lat2, lon2 = np.radians(lats), np.radians(lons)
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _episodes(
    times_s: np.ndarray, weights: np.ndarray, window_s: float, min_weight: float, min_signals: int
) -> list[tuple[int, int]]:
    """(start, end) index ranges (end inclusive) of the heaviest window of each alarm episode."""
    starts = np.searchsorted(times_s, times_s - window_s, side="right")
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    ends = np.arange(len(times_s))
    sums = cumulative[ends + 1] - cumulative[starts]
    alarm = (sums >= min_weight - 1e-9) & (ends - starts + 1 >= min_signals)
    found: list[tuple[int, int]] = []
    best: int | None = None
    for j in ends:
        if alarm[j] and (best is None or sums[j] > sums[best]):
            best = j
        elif not alarm[j] and best is not None:
            found.append((int(starts[best]), int(best)))
            best = None
    if best is not None:
        found.append((int(starts[best]), int(best)))
    return found


def _warnings_for(
    target: Target,
    signals: Sequence[Signal],
    window_s: float,
    distance_km: float,
    min_weight: float,
    min_signals: int,
) -> list[ClusterWarning]:
    lats = np.array([s.lat for s in signals], dtype=float)
    lons = np.array([s.lon for s in signals], dtype=float)
    dist = distances_km(target, lats, lons)
    order = np.argsort(np.array([s.at.timestamp() for s in signals]), kind="stable")
    near = [int(i) for i in order if dist[i] <= distance_km]
    if not near:
        return []
    times_s = np.array([signals[i].at.timestamp() for i in near])
    weights = np.array([signals[i].weight for i in near])
    result = []
    for start, end in _episodes(times_s, weights, window_s, min_weight, min_signals):
        members = near[start : end + 1]
        reasons = tuple(
            Reason(signals[i].key, signals[i].kind, signals[i].at, round(float(dist[i]), 3),
                   signals[i].weight)
            for i in members
        )  # fmt: skip
        result.append(
            ClusterWarning(target.key, target.kind, signals[members[-1]].at - dt.timedelta(seconds=window_s),
                    signals[members[-1]].at, round(float(weights[start : end + 1].sum()), 4),
                    reasons)
        )  # fmt: skip
    return result


def find_warnings(
    signals: Sequence[Signal],
    targets: Sequence[Target],
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
    distance_km: float = DEFAULT_DISTANCE_KM,
    min_weight: float = DEFAULT_MIN_WEIGHT,
    min_signals: int = DEFAULT_MIN_SIGNALS,
) -> list[ClusterWarning]:
    """Warnings for every target where weighted signals cluster (see the module docstring).

    Parameters
    ----------
    signals : reports and incidents with aware times and weights in 0..1.
    targets : sites (points) and routes (lines).
    window_days : length of the sliding time window, in days.
    distance_km : how far from the site or line a signal still counts, in km.
    min_weight : summed weight that raises a warning.
    min_signals : fewest signals in a warning (one A1 report alone is not a cluster).

    Returns
    -------
    list of ClusterWarning, ordered by target then time; empty when nothing clusters.

    Examples
    --------
    >>> t0 = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    >>> sig = [Signal(f"report:{i}", "report", t0 + dt.timedelta(days=i), -7.73, -77.53, 0.8)
    ...        for i in range(3)]
    >>> [w.total_weight for w in find_warnings(sig, [Target("site:1", "site", -7.735, -77.53)])]
    [2.4]
    """
    _check_params(window_days, distance_km, min_weight, min_signals)
    for signal in signals:
        _check_signal(signal)
    if not signals:
        return []
    window_s = window_days * 86400.0
    found: list[ClusterWarning] = []
    for target in targets:
        found.extend(_warnings_for(target, signals, window_s, distance_km, min_weight, min_signals))
    return found
