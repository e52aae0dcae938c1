"""Inputs and outputs of the tracking engine: zones, routes, trips, thresholds, detections."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

__all__ = [
    "DETECTION_KINDS",
    "Detection",
    "DetectorConfig",
    "Route",
    "Trip",
    "Zone",
    "ZONE_KINDS",
]

ZONE_KINDS = ("generic", "authorised_stop", "high_risk", "destination", "origin", "speed")
DETECTION_KINDS = (
    "zone_enter",
    "zone_exit",
    "route_deviation",
    "unscheduled_stop",
    "signal_loss",
    "signal_restored",
    "overspeed",
    "alarm",
    "convoy_split",
    "late_arrival",
)
ROLES = ("cargo", "escort", "lead")


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} {value!r} is naive; give a UTC-aware datetime")


@dataclass(frozen=True)
class Zone:
    """A geofence: a polygon (``polygon_lonlat``) or a circle (``center_lonlat`` + ``radius_m``).

    ``kind`` is one of :data:`ZONE_KINDS`; stops inside ``authorised_stop``,
    ``origin`` and ``destination`` zones are never "unscheduled".
    ``speed_limit_kmh`` (optional) applies to fixes inside the zone.
    Circles are approximated by a 128-gon (radius error < 0.03 %).
    """

    key: str
    kind: str = "generic"
    polygon_lonlat: Sequence[tuple[float, float]] | None = None
    center_lonlat: tuple[float, float] | None = None
    radius_m: float | None = None
    speed_limit_kmh: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ZONE_KINDS:
            raise ValueError(f"zone {self.key!r}: kind {self.kind!r} is not one of {ZONE_KINDS}")
        is_circle = self.center_lonlat is not None
        if is_circle == (self.polygon_lonlat is not None):
            raise ValueError(f"zone {self.key!r}: give either polygon_lonlat or center_lonlat")
        if is_circle and not (self.radius_m and self.radius_m > 0):
            raise ValueError(f"zone {self.key!r}: radius_m must be > 0 m, got {self.radius_m}")
        if not is_circle and len(self.polygon_lonlat) < 3:
            raise ValueError(f"zone {self.key!r}: a polygon needs >= 3 vertices")


@dataclass(frozen=True)
class Route:
    """A planned corridor: a lon/lat polyline and its buffer half-width in metres.

    ``speed_limits_kmh`` is ``None``, one number for the whole route, or one
    number per segment (``len(line_lonlat) - 1`` values; NaN = no limit).
    """

    key: str
    line_lonlat: Sequence[tuple[float, float]]
    buffer_m: float = 500.0
    speed_limits_kmh: float | Sequence[float] | None = None

    def __post_init__(self) -> None:
        if len(self.line_lonlat) < 2:
            raise ValueError(f"route {self.key!r}: a line needs >= 2 vertices")
        if not self.buffer_m > 0:
            raise ValueError(f"route {self.key!r}: buffer_m must be > 0 m, got {self.buffer_m}")
        limits = self.speed_limits_kmh
        if isinstance(limits, Sequence) and len(limits) != len(self.line_lonlat) - 1:
            raise ValueError(
                f"route {self.key!r}: {len(limits)} speed_limits_kmh for "
                f"{len(self.line_lonlat) - 1} segments"
            )


@dataclass(frozen=True)
class Trip:
    """A convoy trip: member devices with roles, a route, a destination and time windows.

    ``members`` maps device key to role (``cargo``, ``escort``, ``lead``).
    The trip is en route for a device from ``depart_after`` until the device
    enters ``destination_zone_key``; ``arrive_before`` is the end of the
    arrival window (late arrival fires after it).
    """

    key: str
    members: Mapping[str, str]
    route_key: str | None = None
    destination_zone_key: str | None = None
    depart_after: datetime | None = None
    arrive_before: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware(self.depart_after, "depart_after")
        _require_aware(self.arrive_before, "arrive_before")
        for device, role in self.members.items():
            if role not in ROLES:
                raise ValueError(f"trip {self.key!r}: role {role!r} of {device!r} not in {ROLES}")


@dataclass(frozen=True)
class DetectorConfig:
    """Every threshold of every detector, with units in the names.

    Attributes
    ----------
    stop_speed_kmh, move_speed_kmh
        Hysteresis for "stopped": a fix slower than ``stop_speed_kmh`` starts a
        stop, only one faster than ``move_speed_kmh`` ends it, so a parked
        truck's GPS speed jitter (typically 0-3 km/h) does not split stops.
    stop_min_s
        A stop outside authorised zones lasting this long is "unscheduled".
    max_gap_s
        No fix for longer than this while en route is a signal loss
        (possible jamming); the gap also ends any running stop.
    corridor_hysteresis_m
        Off-route when farther than the route buffer; back on only when closer
        than ``buffer_m - corridor_hysteresis_m`` (GPS noise at the edge).
    deviation_min_s, deviation_min_fixes
        Off-route must last this long and this many fixes to report a deviation.
    default_speed_limit_kmh
        Limit where no route segment or zone gives one (NaN disables).
    overspeed_tolerance_kmh, overspeed_min_fixes
        Speed must exceed the limit by the tolerance on this many consecutive fixes.
    zone_margin_m
        Geofence hysteresis: enter when this far inside, exit when this far
        outside (shrunk per zone to a fifth of its smallest bbox side).
    max_accuracy_m
        Fixes with a worse reported accuracy do not change zone or corridor state.
    split_distance_m, split_rejoin_m, split_min_fixes
        Convoy split when a member is farther than ``split_distance_m`` from its
        escort (or nearest other member) on this many consecutive fixes; it
        re-arms once closer than ``split_rejoin_m``.
    convoy_max_age_s
        The escort position used must be at most this old.
    grid_cell_m, max_grid_cells
        Cell size of the corridor and zone rasters; grown automatically so no
        raster exceeds ``max_grid_cells`` cells.
    """

    stop_speed_kmh: float = 5.0
    move_speed_kmh: float = 10.0
    stop_min_s: float = 600.0
    max_gap_s: float = 300.0
    corridor_hysteresis_m: float = 50.0
    deviation_min_s: float = 60.0
    deviation_min_fixes: int = 3
    default_speed_limit_kmh: float = 90.0
    overspeed_tolerance_kmh: float = 5.0
    overspeed_min_fixes: int = 3
    zone_margin_m: float = 25.0
    max_accuracy_m: float = 100.0
    split_distance_m: float = 5000.0
    split_rejoin_m: float = 4000.0
    split_min_fixes: int = 3
    convoy_max_age_s: float = 120.0
    grid_cell_m: float = 100.0
    max_grid_cells: int = 20_000_000

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "default_speed_limit_kmh" and math.isnan(value):
                continue
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"{item.name} must be a number >= 0, got {value!r}")
        if self.move_speed_kmh < self.stop_speed_kmh:
            raise ValueError(
                f"move_speed_kmh ({self.move_speed_kmh} km/h) must be >= "
                f"stop_speed_kmh ({self.stop_speed_kmh} km/h)"
            )
        if self.split_rejoin_m > self.split_distance_m:
            raise ValueError(
                f"split_rejoin_m ({self.split_rejoin_m} m) must be <= "
                f"split_distance_m ({self.split_distance_m} m)"
            )
        if self.grid_cell_m <= 0:
            raise ValueError(f"grid_cell_m must be > 0 m, got {self.grid_cell_m}")


@dataclass(frozen=True)
class Detection:
    """Something a detector found.

    ``evidence_times`` are the fix times that prove it (for a stop: when it
    started and when it crossed the threshold); ``evidence_indices`` are the
    positions of those fixes in the batch passed to ``process`` (``-1`` when
    the fix came in an earlier batch). Indices are excluded from equality so
    that a replay in different batch sizes compares equal.
    """

    kind: str
    device_key: str
    trip_key: str | None
    time: datetime
    lat: float
    lon: float
    details: dict[str, Any] = field(default_factory=dict)
    evidence_times: tuple[datetime, ...] = ()
    evidence_indices: tuple[int, ...] = field(default=(), compare=False)
