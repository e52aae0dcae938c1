"""The convoy-tracking engine: feed batches of fixes, get detections, keep per-device state.

Ordering rules (documented behaviour, tested):

* Fixes are grouped per device; within a device they are taken in arrival
  order. A fix whose time is not newer than the newest fix already accepted
  for that device is **not** fed to the sequential detectors: an equal time
  is a *duplicate* (processed once), an older time is *out of order*. Both
  are counted in :attr:`TrackingEngine.counters`; the caller still stores
  out-of-order fixes as positions. They cannot create or break stops, gaps,
  deviations or zone transitions (which would be false alarms); an alarm
  attribute on an out-of-order fix is still reported.
* Because acceptance depends only on each device's own earlier fixes, any
  split of a stream into batches yields the same detections (replay = live).
  The one cross-device detector, convoy split, compares a fix with the
  escort's newest fix strictly older than it; it is batch-independent when
  the stream is in time order across devices, as live ingest is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import shapely

from minewatch.tracking.engine.batch import FixBatch
from minewatch.tracking.engine.detectors import Prepared, run_detectors
from minewatch.tracking.engine.geometry import CorridorIndex, LocalPlane, ZoneIndex
from minewatch.tracking.engine.model import Detection, DetectorConfig, Route, Trip, Zone
from minewatch.tracking.engine.protocols import Fix
from minewatch.tracking.engine.sequences import previous
from minewatch.tracking.engine.state import DeviceState, StateArrays

__all__ = ["TrackingEngine"]

_DEVICE_SHIFT = 2**42  # ms; fix times up to the year 2109 fit below it
_NEVER = np.iinfo(np.int64).max


class TrackingEngine:
    """Run every detector over batches of fixes, keeping state per device.

    Parameters
    ----------
    config
        Thresholds (:class:`DetectorConfig`).
    zones, routes, trips
        Geofences, planned corridors and convoy trips. Devices not in a trip
        still get zone, overspeed and alarm detections.
    plane
        Metric projection; by default centred on the zones and routes.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> engine = TrackingEngine(DetectorConfig(), zones=[Zone("mine", center_lonlat=(-72.3, -14.1),
    ...                         radius_m=1000)])
    >>> t0 = datetime(2025, 1, 1, tzinfo=UTC)
    >>> fixes = [Fix("T1", t0, -14.2, -72.3), Fix("T1", t0.replace(minute=1), -14.1, -72.3)]
    >>> [d.kind for d in engine.process_fixes(fixes)]
    ['zone_enter']
    """

    def __init__(
        self,
        config: DetectorConfig,
        zones: Sequence[Zone] = (),
        routes: Sequence[Route] = (),
        trips: Sequence[Trip] = (),
        plane: LocalPlane | None = None,
    ) -> None:
        self.config = config
        self.plane = plane or _plane_for(zones, routes)
        self.zones = list(zones)
        self.zone_position = {zone.key: i for i, zone in enumerate(self.zones)}
        if len(self.zone_position) != len(self.zones):
            raise ValueError("zone keys must be unique")
        self.zone_index = ZoneIndex(
            [_zone_polygon(zone, self.plane) for zone in self.zones],
            config.zone_margin_m,
            config.grid_cell_m,
            config.max_grid_cells,
        )
        self.routes = {route.key: i for i, route in enumerate(routes)}
        self.corridors = [self._corridor(route) for route in routes]
        self.route_limits = [_segment_limits(route) for route in routes]
        self.trips = {trip.key: trip for trip in trips}
        self.device_keys: list[str] = []
        self._device_ids: dict[str, int] = {}
        self.alarm_names: list[str] = []
        self._state = StateArrays()
        self.counters = {"accepted": 0, "duplicate": 0, "out_of_order": 0}
        self._device_trip: dict[str, tuple[Trip, str]] = {}
        for trip in trips:
            for device_key, role in trip.members.items():
                if device_key in self._device_trip:
                    raise ValueError(f"device {device_key!r} is in two trips")
                self._device_trip[device_key] = (trip, role)
        self._columns = _DeviceColumns()

    def _corridor(self, route: Route) -> CorridorIndex:
        lon, lat = np.asarray(route.line_lonlat, dtype=float).T
        x, y = self.plane.to_xy(lat, lon)
        return CorridorIndex(
            np.column_stack([x, y]),
            route.buffer_m,
            self.config.corridor_hysteresis_m,
            self.config.grid_cell_m,
            self.config.max_grid_cells,
        )

    # -- registries -------------------------------------------------------------------
    def device_id(self, key: str) -> int:
        """The integer id of a device key, registering it on first use."""
        found = self._device_ids.get(key)
        if found is not None:
            return found
        new = len(self.device_keys)
        self._device_ids[key] = new
        self.device_keys.append(key)
        self._state.grow(new + 1)
        self._columns.add(self, key)
        return new

    def alarm_code(self, name: str) -> int:
        """The integer code of an alarm name (``"sos"``, ``"tampering"``...), 1-based."""
        if name not in self.alarm_names:
            self.alarm_names.append(name)
        return self.alarm_names.index(name) + 1

    # -- processing -------------------------------------------------------------------
    def process_fixes(self, fixes: Iterable[Fix]) -> list[Detection]:
        """Convenience: :meth:`process` on parsed :class:`Fix` objects."""
        fixes = list(fixes)
        return self.process(FixBatch.from_fixes(fixes, self.device_id, self.alarm_code))

    def process(self, batch: FixBatch) -> list[Detection]:
        """Run all detectors on one batch (any size, arrival order) and update state.

        Returns the detections sorted by time, device and kind.
        """
        if len(batch) == 0:
            return []
        if batch.device.min() < 0 or batch.device.max() >= len(self.device_keys):
            raise ValueError("batch.device holds ids not registered with device_id()")
        order = np.argsort(batch.device, kind="stable")
        device = batch.device[order]
        time_ms = batch.time_ms[order]
        accepted, duplicate = self._accept(device, time_ms)
        self.counters["accepted"] += int(accepted.sum())
        self.counters["duplicate"] += int(duplicate.sum())
        self.counters["out_of_order"] += int((~accepted & ~duplicate).sum())
        late = order[~accepted & ~duplicate]
        detections = self._late_alarms(batch, late)
        if accepted.any():
            prepared = self._prepare(batch, order[accepted])
            detections += run_detectors(self, prepared)
            self._store_last(prepared)
        detections.sort(key=lambda d: (d.time, d.device_key, d.kind))
        return detections

    def _accept(self, device: np.ndarray, time_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accept fixes newer than every earlier fix of their device (arrival order)."""
        key = device * _DEVICE_SHIFT + time_ms
        running_max = np.maximum.accumulate(key)
        before = np.empty_like(key)
        before[0] = -1
        before[1:] = running_max[:-1]
        stored = device * _DEVICE_SHIFT + self._state.last_time_ms[device]
        newest = np.maximum(before, stored)
        return key > newest, key == newest

    def _prepare(self, batch: FixBatch, source: np.ndarray) -> Prepared:
        device = batch.device[source]
        first = np.ones(len(source), bool)
        first[1:] = device[1:] != device[:-1]
        lat, lon = batch.lat[source], batch.lon[source]
        x, y = self.plane.to_xy(lat, lon)
        state = self._state
        prev_x, prev_y = self.plane.to_xy(state.last_lat[device], state.last_lon[device])
        return Prepared(
            source=source,
            device=device,
            first=first,
            last_index=np.append(np.flatnonzero(first)[1:] - 1, len(source) - 1),
            time_ms=batch.time_ms[source],
            lat=lat,
            lon=lon,
            x=x,
            y=y,
            prev_time_ms=previous(batch.time_ms[source], first, state.last_time_ms[device]),
            prev_x=previous(x, first, prev_x),
            prev_y=previous(y, first, prev_y),
            speed_kmh=batch.speed_kmh[source],
            accuracy_m=batch.accuracy_m[source],
            alarm=batch.alarm[source],
        )

    def _store_last(self, prepared: Prepared) -> None:
        last = prepared.last_index
        devices = prepared.device[last]
        self._state.last_time_ms[devices] = prepared.time_ms[last]
        self._state.last_lat[devices] = prepared.lat[last]
        self._state.last_lon[devices] = prepared.lon[last]
        self._state.last_alarm[devices] = prepared.alarm[last]
        self._state.flags["loss_reported"][devices] = False

    def _late_alarms(self, batch: FixBatch, late: np.ndarray) -> list[Detection]:
        from minewatch.tracking.engine.detectors import detection_at

        rows = late[batch.alarm[late] != 0]
        return [
            detection_at(
                self,
                "alarm",
                int(batch.device[i]),
                int(batch.time_ms[i]),
                float(batch.lat[i]),
                float(batch.lon[i]),
                {"alarm": self.alarm_names[batch.alarm[i] - 1], "out_of_order": True},
                evidence_ms=(int(batch.time_ms[i]),),
                evidence_indices=(int(i),),
            )
            for i in rows
        ]

    def advance_clock(self, now: datetime) -> list[Detection]:
        """Report signal losses and late arrivals that need no new fix to be seen.

        Call periodically in live operation; a loss reported here is not
        reported again when the signal returns (``signal_restored`` still is).
        """
        from minewatch.tracking.engine.detectors import clock_detections

        if now.tzinfo is None:
            raise ValueError(f"now {now!r} is naive; give a UTC-aware datetime")
        return clock_detections(self, round(now.timestamp() * 1000))

    # -- state ------------------------------------------------------------------------
    def export_state(self) -> dict[str, DeviceState]:
        """Portable state of every device, keyed by device key."""
        zone_keys = [zone.key for zone in self.zones]
        return {
            key: self._state.export(i, zone_keys, self.alarm_names)
            for i, key in enumerate(self.device_keys)
        }

    def import_state(self, states: Mapping[str, DeviceState | dict]) -> None:
        """Load states saved by :meth:`export_state` (dicts or :class:`DeviceState`)."""
        for key, state in states.items():
            if not isinstance(state, DeviceState):
                state = DeviceState.from_dict(state)
            self._state.load(self.device_id(key), state, self.zone_position, self.alarm_code)

    @property
    def state(self) -> StateArrays:
        """Internal state arrays (read by the detectors)."""
        return self._state

    @property
    def columns(self) -> _DeviceColumns:
        """Per-device trip attributes as arrays (read by the detectors)."""
        return self._columns


class _DeviceColumns:
    """Trip attributes per device id as arrays, for vectorised lookup."""

    def __init__(self) -> None:
        self.trip_key: list[str | None] = []
        self.role: list[str | None] = []
        self.route = np.zeros(0, np.int64)
        self.depart_ms = np.zeros(0, np.int64)
        self.deadline_ms = np.zeros(0, np.int64)
        self.destination = np.zeros(0, np.int64)

    def add(self, engine: TrackingEngine, key: str) -> None:
        trip, role = engine._device_trip.get(key, (None, None))
        self.trip_key.append(trip.key if trip else None)
        self.role.append(role)
        route = destination = -1
        depart, deadline = _NEVER, _NEVER
        if trip is not None:
            if trip.route_key is not None:
                route = engine.routes[trip.route_key]
            if trip.destination_zone_key is not None:
                destination = engine.zone_position[trip.destination_zone_key]
            depart = _ms(trip.depart_after) if trip.depart_after else 0
            deadline = _ms(trip.arrive_before) if trip.arrive_before else _NEVER
        self.route = np.append(self.route, route)
        self.depart_ms = np.append(self.depart_ms, depart)
        self.deadline_ms = np.append(self.deadline_ms, deadline)
        self.destination = np.append(self.destination, destination)


def _ms(value: datetime) -> int:
    return round(value.astimezone(UTC).timestamp() * 1000)


def _plane_for(zones: Sequence[Zone], routes: Sequence[Route]) -> LocalPlane:
    points = [p for route in routes for p in route.line_lonlat]
    for zone in zones:
        points.extend(zone.polygon_lonlat or [zone.center_lonlat])
    if not points:
        return LocalPlane(0.0, 0.0)
    lon, lat = np.asarray(points, dtype=float).T
    return LocalPlane(float((lat.min() + lat.max()) / 2), float((lon.min() + lon.max()) / 2))


def _zone_polygon(zone: Zone, plane: LocalPlane) -> shapely.Polygon:
    if zone.center_lonlat is not None:
        x, y = plane.to_xy(np.array([zone.center_lonlat[1]]), np.array([zone.center_lonlat[0]]))
        return shapely.Point(float(x[0]), float(y[0])).buffer(zone.radius_m, quad_segs=32)
    lon, lat = np.asarray(zone.polygon_lonlat, dtype=float).T
    x, y = plane.to_xy(lat, lon)
    polygon = shapely.Polygon(np.column_stack([x, y]))
    if not polygon.is_valid:
        raise ValueError(
            f"zone {zone.key!r}: polygon is not valid ({shapely.is_valid_reason(polygon)})"
        )
    return polygon


def _segment_limits(route: Route) -> np.ndarray:
    n = len(route.line_lonlat) - 1
    if route.speed_limits_kmh is None:
        return np.full(n, np.nan)
    if isinstance(route.speed_limits_kmh, int | float):
        return np.full(n, float(route.speed_limits_kmh))
    return np.asarray(route.speed_limits_kmh, dtype=float)
