"""The detectors, vectorised over one batch of accepted fixes (grouped by device, in time order).

Each detector is documented with its rule; thresholds come from
:class:`~minewatch.tracking.engine.model.DetectorConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from minewatch.tracking.engine.geometry import HIGH, LOW
from minewatch.tracking.engine.model import Detection
from minewatch.tracking.engine.sequences import hysteresis, previous, track_runs
from minewatch.tracking.engine.zones import zone_detections, zone_membership

if TYPE_CHECKING:
    from minewatch.tracking.engine.engine import TrackingEngine

__all__ = ["Prepared", "clock_detections", "detection_at", "finite_details", "run_detectors"]


@dataclass
class Prepared:
    """Accepted fixes of one batch, grouped by device and in time order."""

    source: np.ndarray
    device: np.ndarray
    first: np.ndarray
    last_index: np.ndarray
    time_ms: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    x: np.ndarray
    y: np.ndarray
    prev_time_ms: np.ndarray
    prev_x: np.ndarray
    prev_y: np.ndarray
    speed_kmh: np.ndarray
    accuracy_m: np.ndarray
    alarm: np.ndarray
    segment: np.ndarray | None = None


def finite_details(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by ``None``, recursively.

    No database stores NaN in JSON (SQLite ``JSON_VALID`` and PostgreSQL both
    refuse it), so a detection carrying one would fail its whole batch.

    Examples
    --------
    >>> finite_details({"distance_m": float("nan"), "at": [1.5, float("inf")]})
    {'distance_m': None, 'at': [1.5, None]}
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_details(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_details(item) for item in value]
    return value


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC)


def detection_at(
    engine: TrackingEngine,
    kind: str,
    device: int,
    time_ms: int,
    lat: float,
    lon: float,
    details: dict[str, Any],
    *,
    evidence_ms: tuple[int, ...] = (),
    evidence_indices: tuple[int, ...] = (),
) -> Detection:
    """Build one :class:`Detection` from engine ids and epoch milliseconds.

    Every detector builds its detections here: non-finite numbers in ``details``
    become ``None`` (see :func:`finite_details`).
    """
    return Detection(
        kind=kind,
        device_key=engine.device_keys[device],
        trip_key=engine.columns.trip_key[device],
        time=_datetime(time_ms),
        lat=round(lat, 7),
        lon=round(lon, 7),
        details=finite_details(dict(details)),
        evidence_times=tuple(_datetime(ms) for ms in evidence_ms),
        evidence_indices=evidence_indices,
    )


def _at_fixes(engine, prepared: Prepared, kind: str, rows, details_of, start_ms=None):
    """Detections at fix rows ``rows``; ``details_of(k, row)`` gives the details dict."""
    found = []
    for k, row in enumerate(np.asarray(rows).tolist()):
        time_ms = int(prepared.time_ms[row])
        evidence = (time_ms,) if start_ms is None else (int(start_ms[k]), time_ms)
        found.append(
            detection_at(
                engine,
                kind,
                int(prepared.device[row]),
                time_ms,
                float(prepared.lat[row]),
                float(prepared.lon[row]),
                details_of(k, row),
                evidence_ms=evidence,
                evidence_indices=(int(prepared.source[row]),),
            )
        )
    return found


def run_detectors(engine: TrackingEngine, prepared: Prepared) -> list[Detection]:
    """All detectors on one prepared batch; updates ``engine.state``."""
    config, columns, state = engine.config, engine.columns, engine.state
    device = prepared.device
    dt_ms = prepared.time_ms - prepared.prev_time_ms
    has_prev = prepared.prev_time_ms >= 0
    derived = np.hypot(prepared.x - prepared.prev_x, prepared.y - prepared.prev_y) / np.maximum(
        dt_ms, 1
    )
    speed = np.where(np.isnan(prepared.speed_kmh), derived * 3600.0, prepared.speed_kmh)
    speed = np.where(np.isnan(prepared.speed_kmh) & ~has_prev, np.nan, speed)
    zones = zone_membership(engine, prepared)
    arrived = state.flags["arrived"][device] | (
        np.arange(len(device)) >= zones.arrival_index[device]
    )
    en_route = (prepared.time_ms >= columns.depart_ms[device]) & ~arrived
    en_route &= columns.depart_ms[device] != np.iinfo(np.int64).max
    gap = has_prev & (dt_ms > config.max_gap_s * 1000)
    found = zone_detections(engine, prepared, zones)
    found += _gaps(engine, prepared, gap, en_route, dt_ms)
    found += _stops(engine, prepared, speed, en_route, zones.authorised, gap)
    found += _deviations(engine, prepared, en_route)
    found += _overspeed(engine, prepared, speed, zones.speed_limit_kmh, gap)
    found += _alarms(engine, prepared)
    found += _late_arrivals(engine, prepared, arrived)
    from minewatch.tracking.engine.convoy import convoy_splits

    found += convoy_splits(engine, prepared, en_route)
    last = prepared.last_index
    state.flags["arrived"][device[last]] = arrived[last]
    return found


def _gaps(engine, prepared, gap, en_route, dt_ms) -> list[Detection]:
    """Signal loss: no fix for ``max_gap_s`` while en route (reported at the moment
    the gap crossed the threshold, at the last known place); signal restored at
    the next fix, with the gap's length and straight-line distance."""
    state, config = engine.state, engine.config
    device = prepared.device
    carry = (state.last_time_ms[device] >= engine.columns.depart_ms[device]) & ~state.flags[
        "arrived"
    ][device]
    was_en_route = previous(en_route, prepared.first, carry)
    rows = np.flatnonzero(gap & was_en_route)
    if not len(rows):
        return []
    distance = np.hypot(prepared.x - prepared.prev_x, prepared.y - prepared.prev_y)
    lat_prev, lon_prev = engine.plane.to_latlon(prepared.prev_x[rows], prepared.prev_y[rows])
    found = []
    already = prepared.first[rows] & state.flags["loss_reported"][device[rows]]
    for k, row in enumerate(rows.tolist()):
        if already[k]:
            continue
        start = int(prepared.prev_time_ms[row])
        found.append(
            detection_at(
                engine,
                "signal_loss",
                int(device[row]),
                start + round(config.max_gap_s * 1000),
                float(lat_prev[k]),
                float(lon_prev[k]),
                {"max_gap_s": config.max_gap_s},
                evidence_ms=(start,),
            )
        )

    def details(k, row):
        return {"gap_s": dt_ms[row] / 1000.0, "gap_distance_m": round(float(distance[row]), 1)}

    start_ms = prepared.prev_time_ms[rows]
    return found + _at_fixes(engine, prepared, "signal_restored", rows, details, start_ms)


def _stops(engine, prepared, speed, en_route, authorised, gap) -> list[Detection]:
    """Unscheduled stop: "stopped" (speed hysteresis) while en route, outside
    authorised/origin/destination zones, for ``stop_min_s``; a gap restarts it."""
    config, state = engine.config, engine.state
    stopped = hysteresis(
        speed < config.stop_speed_kmh,
        speed > config.move_speed_kmh,
        prepared.first,
        state.flags["stopped"][prepared.device],
    )
    state.flags["stopped"][prepared.device[prepared.last_index]] = stopped[prepared.last_index]
    cond = stopped & en_route & ~authorised
    rows, start_ms = _runs(engine, prepared, "stop", cond, gap, config.stop_min_s * 1000, 2)

    def details(k, row):
        return {"stopped_s": (prepared.time_ms[row] - start_ms[k]) / 1000.0}

    return _at_fixes(engine, prepared, "unscheduled_stop", rows, details, start_ms)


def _runs(engine, prepared, name, cond, breaks, min_ms, min_count):
    return track_runs(
        cond,
        prepared.first,
        breaks,
        prepared.time_ms,
        prepared.device,
        prepared.last_index,
        engine.state.runs[name],
        min_ms=min_ms,
        min_count=min_count,
    )


def _corridor_states(engine, prepared) -> tuple[np.ndarray, np.ndarray]:
    """Per fix: corridor state (LOW on, 1 band, HIGH off, -1 no route) and segment."""
    route = engine.columns.route[prepared.device]
    state = np.full(len(route), -1, np.int8)
    segment = np.full(len(route), -1, np.int64)
    for r in np.unique(route[route >= 0]).tolist():
        rows = (
            np.flatnonzero(route == r) if len(engine.corridors) > 1 else np.flatnonzero(route >= 0)
        )
        state[rows], segment[rows] = engine.corridors[r].classify(
            prepared.x[rows], prepared.y[rows]
        )
    return state, segment


def _deviations(engine, prepared, en_route) -> list[Detection]:
    """Route deviation: farther than the route buffer (hysteresis band
    ``corridor_hysteresis_m``) while en route, for ``deviation_min_s`` and
    ``deviation_min_fixes``. Fixes with poor accuracy do not change the state."""
    config, state = engine.config, engine.state
    corridor, segment = _corridor_states(engine, prepared)
    prepared.segment = segment
    good = ~(prepared.accuracy_m > config.max_accuracy_m)
    off = hysteresis(
        (corridor == HIGH) & good,
        ((corridor == LOW) & good) | (corridor < 0),
        prepared.first,
        state.flags["off_route"][prepared.device],
    )
    state.flags["off_route"][prepared.device[prepared.last_index]] = off[prepared.last_index]
    cond = off & en_route
    rows, start_ms = _runs(
        engine,
        prepared,
        "deviation",
        cond,
        np.zeros(len(cond), bool),
        config.deviation_min_s * 1000,
        config.deviation_min_fixes,
    )

    def details(k, row):
        route = engine.columns.route[prepared.device[row]]
        corridor_index = engine.corridors[route]
        distance = corridor_index.distance_m(prepared.x[row], prepared.y[row])
        return {"distance_m": round(distance, 1), "buffer_m": corridor_index.off_m}

    return _at_fixes(engine, prepared, "route_deviation", rows, details, start_ms)


def _overspeed(engine, prepared, speed, zone_limit, gap) -> list[Detection]:
    """Overspeed: faster than the tightest limit (route segment, zone, default)
    plus ``overspeed_tolerance_kmh`` on ``overspeed_min_fixes`` consecutive fixes."""
    config = engine.config
    limit = np.fmin(zone_limit, config.default_speed_limit_kmh)
    route = engine.columns.route[prepared.device]
    segment = prepared.segment if prepared.segment is not None else np.full(len(route), -1)
    for r in np.unique(route[(route >= 0) & (segment >= 0)]).tolist():
        rows = np.flatnonzero((route == r) & (segment >= 0))
        limit[rows] = np.fmin(limit[rows], engine.route_limits[r][segment[rows]])
    cond = speed > limit + config.overspeed_tolerance_kmh
    rows, start_ms = _runs(engine, prepared, "overspeed", cond, gap, 0, config.overspeed_min_fixes)

    def details(k, row):
        return {"speed_kmh": round(float(speed[row]), 1), "limit_kmh": float(limit[row])}

    return _at_fixes(engine, prepared, "overspeed", rows, details, start_ms)


def _alarms(engine, prepared) -> list[Detection]:
    """Alarm attribute (panic/SOS, tamper...): reported when it appears or changes,
    not again on every fix that repeats it."""
    code = prepared.alarm
    before = previous(code, prepared.first, engine.state.last_alarm[prepared.device])
    rows = np.flatnonzero((code != 0) & (code != before))

    def details(k, row):
        return {"alarm": engine.alarm_names[code[row] - 1]}

    return _at_fixes(engine, prepared, "alarm", rows, details)


def _late_arrivals(engine, prepared, arrived) -> list[Detection]:
    """Late arrival: first fix after the trip's ``arrive_before`` while the device
    has not yet entered the destination zone. Reported once per device."""
    device, state = prepared.device, engine.state
    deadline = engine.columns.deadline_ms[device]
    cond = (prepared.time_ms > deadline) & ~arrived & ~state.flags["late_fired"][device]
    rows = np.flatnonzero(cond)
    if not len(rows):
        return []
    _, first_of_device = np.unique(device[rows], return_index=True)
    rows = rows[first_of_device]
    state.flags["late_fired"][device[rows]] = True

    def details(k, row):
        return {"late_s": (prepared.time_ms[row] - deadline[row]) / 1000.0}

    return _at_fixes(engine, prepared, "late_arrival", rows, details)


def clock_detections(engine: TrackingEngine, now_ms: int) -> list[Detection]:
    """Signal losses and late arrivals visible from the clock alone (see ``advance_clock``)."""
    state, columns, config = engine.state, engine.columns, engine.config
    n = len(engine.device_keys)
    last = state.last_time_ms[:n]
    en_route = (last >= 0) & (last >= columns.depart_ms[:n]) & ~state.flags["arrived"][:n]
    lost = en_route & (now_ms - last > config.max_gap_s * 1000) & ~state.flags["loss_reported"][:n]
    late = (now_ms > columns.deadline_ms[:n]) & ~state.flags["arrived"][:n]
    late &= ~state.flags["late_fired"][:n] & (last >= 0)
    found = []
    for device in np.flatnonzero(lost).tolist():
        at = int(last[device]) + round(config.max_gap_s * 1000)
        lat, lon = float(state.last_lat[device]), float(state.last_lon[device])
        details = {"max_gap_s": config.max_gap_s}
        found.append(
            detection_at(
                engine,
                "signal_loss",
                device,
                at,
                lat,
                lon,
                details,
                evidence_ms=(int(last[device]),),
            )
        )
    for device in np.flatnonzero(late).tolist():
        lat, lon = float(state.last_lat[device]), float(state.last_lon[device])
        details = {"late_s": (now_ms - int(columns.deadline_ms[device])) / 1000.0}
        found.append(detection_at(engine, "late_arrival", device, now_ms, lat, lon, details))
    state.flags["loss_reported"][:n] |= lost
    state.flags["late_fired"][:n] |= late
    return sorted(found, key=lambda d: (d.time, d.device_key, d.kind))
