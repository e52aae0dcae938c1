"""Where a trip is: progress along its route, ETA, last fix age and escort distance.

Read-only figures for the API and the convoys screen, computed from the latest
fix of each member device (``TrackerState.last_position``) in one query per page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely

from minewatch.geo.engine.geometry import haversine_m
from minewatch.tracking.choices import TripRole, TripStatus
from minewatch.tracking.engine import LocalPlane
from minewatch.tracking.models import TrackerState, Trip

# Used for the ETA until the trip has covered enough ground to measure its own pace.
DEFAULT_SPEED_KMH = 40.0
MIN_MEASURED_M = 2000.0


@lru_cache(maxsize=64)
def _projected_route(route_id: int, coordinates: tuple) -> tuple[LocalPlane, shapely.LineString]:
    lon, lat = np.asarray(coordinates, dtype=float).T
    plane = LocalPlane(float(lat.mean()), float(lon.mean()))
    x, y = plane.to_xy(lat, lon)
    return plane, shapely.LineString(np.column_stack([x, y]))


@dataclass
class TripProgress:
    progress_pct: float | None = None
    distance_done_m: float | None = None
    distance_left_m: float | None = None
    eta: dt.datetime | None = None
    last_fix_at: dt.datetime | None = None
    last_fix_age_s: float | None = None
    escort_distance_m: float | None = None


def _along(trip: Trip, fix: dict[str, Any]) -> tuple[float, float] | None:
    geometry = (trip.route.geometry or {}) if trip.route else {}
    coordinates = geometry.get("coordinates") or []
    if geometry.get("type") != "LineString" or len(coordinates) < 2:
        return None
    key = tuple(tuple(point[:2]) for point in coordinates)
    plane, line = _projected_route(trip.route_id, key)
    x, y = plane.to_xy(np.array([fix["lat"]]), np.array([fix["lon"]]))
    done = float(line.project(shapely.Point(float(x[0]), float(y[0]))))
    return done, float(line.length)


def _eta(trip: Trip, done: float, left: float, at: dt.datetime) -> dt.datetime:
    speed_ms = DEFAULT_SPEED_KMH / 3.6
    if trip.route is not None and trip.route.speed_limit_kmh:
        speed_ms = min(speed_ms, trip.route.speed_limit_kmh / 3.6)
    if trip.departed_at is not None and done >= MIN_MEASURED_M:
        elapsed = (at - trip.departed_at).total_seconds()
        if elapsed > 0:
            speed_ms = max(done / elapsed, 1.0)
    return at + dt.timedelta(seconds=left / speed_ms)


def trip_progress(trip: Trip, latest: dict[int, dict], now: dt.datetime) -> TripProgress:
    """Progress of one trip given the latest fix per vehicle id (``latest``)."""
    members = list(trip.members.all())
    fixes = {m.vehicle_id: latest[m.vehicle_id] for m in members if m.vehicle_id in latest}
    result = TripProgress()
    if not fixes:
        return result
    times = [dt.datetime.fromisoformat(f["fix_time"]) for f in fixes.values()]
    result.last_fix_at = max(times)
    result.last_fix_age_s = round((now - result.last_fix_at).total_seconds(), 1)
    cargo = [m.vehicle_id for m in members if m.role == TripRole.CARGO and m.vehicle_id in fixes]
    lead = fixes[cargo[0]] if cargo else next(iter(fixes.values()))
    along = _along(trip, lead)
    if along is not None:
        done, total = along
        result.distance_done_m, result.distance_left_m = round(done), round(total - done)
        result.progress_pct = round(100.0 * done / total, 1) if total else None
        if trip.status == TripStatus.EN_ROUTE:
            lead_at = dt.datetime.fromisoformat(lead["fix_time"])
            result.eta = _eta(trip, done, total - done, lead_at)
        elif trip.status == TripStatus.ARRIVED:
            result.progress_pct, result.eta = 100.0, trip.arrived_at
    escorts = [fixes[m.vehicle_id] for m in members
               if m.role == TripRole.ESCORT and m.vehicle_id in fixes]  # fmt: skip
    if escorts and cargo:
        result.escort_distance_m = round(
            min(haversine_m(lead["lat"], lead["lon"], e["lat"], e["lon"]) for e in escorts)
        )
    return result


def latest_by_vehicle(trips: Iterable[Trip]) -> dict[int, dict]:
    """The newest last position of each member vehicle's devices, in one query."""
    vehicle_ids = {m.vehicle_id for trip in trips for m in trip.members.all()}
    latest: dict[int, dict] = {}
    rows = TrackerState.objects.filter(device__vehicle_id__in=vehicle_ids).values_list(
        "device__vehicle_id", "last_position"
    )
    for vehicle_id, position in rows:
        if position and position.get("fix_time", "") > latest.get(vehicle_id, {}).get(
            "fix_time", ""
        ):
            latest[vehicle_id] = position
    return latest
