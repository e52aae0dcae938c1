"""Named sample geometry and small track builders for the engine tests.

Everything sits on a straight 20 km route running due north from a point
near Espinar; positions are given in metres north/east of the route start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from minewatch.tracking.engine import (
    DetectorConfig,
    Fix,
    LocalPlane,
    Route,
    TrackingEngine,
    Trip,
    Zone,
)

ORIGIN_LAT, ORIGIN_LON = -14.79, -71.41
PLANE = LocalPlane(ORIGIN_LAT, ORIGIN_LON)
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def lonlat(north_m: float, east_m: float) -> tuple[float, float]:
    """Lon/lat of a point given in metres north/east of the route start."""
    lat, lon = PLANE.to_latlon(np.array([east_m]), np.array([north_m]))
    return float(lon[0]), float(lat[0])


def square(key: str, kind: str, north_m: float, half_m: float, **extra) -> Zone:
    """A square zone centred on the route at ``north_m``."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    polygon = [lonlat(north_m + dy * half_m, dx * half_m) for dx, dy in corners]
    return Zone(key, kind=kind, polygon_lonlat=polygon, **extra)


ROUTE = Route("R1", [lonlat(north, 0.0) for north in range(0, 20_001, 1000)], buffer_m=200.0)
REST_STOP = Zone("rest-km5", kind="authorised_stop", center_lonlat=lonlat(5000, 0), radius_m=300)
TOWN = square("town-km10", "speed", 10_000, 500, speed_limit_kmh=30.0)
PORT = square("port-km20", "destination", 20_000, 400)
TRIP = Trip(
    "TRIP-1",
    members={"TRK-1": "cargo", "ESC-1": "escort"},
    route_key="R1",
    destination_zone_key="port-km20",
    depart_after=T0,
    arrive_before=T0 + timedelta(hours=2),
)


def make_engine(**config) -> TrackingEngine:
    """The sample engine: one route, three zones, one trip; thresholds overridable."""
    return TrackingEngine(
        DetectorConfig(**config), zones=[REST_STOP, TOWN, PORT], routes=[ROUTE], trips=[TRIP]
    )


def fix(seconds: float, north_m: float, east_m: float = 0.0, speed_kmh=None, *,
        device: str = "TRK-1", alarm: str | None = None, accuracy_m=None) -> Fix:  # fmt: skip
    """One fix ``seconds`` after ``T0`` at a point north/east of the route start."""
    lon, lat = lonlat(north_m, east_m)
    attributes = {"alarm": alarm} if alarm else {}
    return Fix(device, T0 + timedelta(seconds=seconds), lat, lon, speed_kmh=speed_kmh,
               accuracy_m=accuracy_m, attributes=attributes)  # fmt: skip


def drive(start_s: float, start_north_m: float, speed_kmh: float, count: int,
          every_s: float = 10.0, *, device: str = "TRK-1", east_m: float = 0.0) -> list[Fix]:  # fmt: skip
    """``count`` fixes driving north at constant speed, one every ``every_s``."""
    step_m = speed_kmh / 3.6 * every_s
    return [
        fix(start_s + i * every_s, start_north_m + i * step_m, east_m, speed_kmh, device=device)
        for i in range(count)
    ]


def park(start_s: float, north_m: float, duration_s: float, every_s: float = 10.0,
         speeds=(0.0, 1.5, 0.4, 2.8, 0.0, 7.0), *, device: str = "TRK-1") -> list[Fix]:  # fmt: skip
    """Parked fixes with GPS jitter: speeds cycle through ``speeds`` (km/h), position ±8 m."""
    count = int(duration_s // every_s)
    jitter = [(-8, 3), (5, -6), (0, 8), (7, 2), (-3, -7)]
    return [
        fix(
            start_s + i * every_s,
            north_m + jitter[i % 5][0],
            jitter[i % 5][1],
            speeds[i % len(speeds)],
            device=device,
        )  # fmt: skip
        for i in range(count)
    ]


def kinds(detections) -> list[str]:
    return [d.kind for d in detections]
