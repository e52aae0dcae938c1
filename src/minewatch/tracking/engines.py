"""The in-process tracking engines: one per organisation, built from its zones, routes and trips.

The pure :class:`~minewatch.tracking.engine.TrackingEngine` knows device keys,
zone keys and trip keys; this module translates rows into engine inputs and
back, keeps the engines of this process (:data:`registry`), and rebuilds one
when its organisation's zones, routes, trips or devices change (``signals.py``).
A rebuilt engine continues from the per-device state persisted in
:class:`~minewatch.tracking.models.TrackerState`.

One engine per organisation uses one local projection (``LocalPlane``): over
Peru's 1,800 km the scale error stays below 3 %, i.e. < 20 m on a 600 m buffer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings

from minewatch.geo.choices import ZoneKind
from minewatch.geo.models import Route, Zone
from minewatch.tracking.choices import TripStatus
from minewatch.tracking.engine import DetectorConfig, TrackingEngine
from minewatch.tracking.engine import Route as EngineRoute
from minewatch.tracking.engine import Trip as EngineTrip
from minewatch.tracking.engine import Zone as EngineZone
from minewatch.tracking.models import Device, TrackerState, Trip

# geo zone kind -> engine zone kind (the engine never reports a stop inside
# authorised-stop, origin or destination zones).
# Hotspots and restricted areas are high-risk for a convoy as well.
ZONE_KIND = {
    ZoneKind.AUTHORISED_STOP: "authorised_stop",
    ZoneKind.HIGH_RISK: "high_risk",
    ZoneKind.ILLEGAL_MINING_HOTSPOT: "high_risk",
    ZoneKind.RESTRICTED: "high_risk",
}
# Trips whose route has an origin/destination site get circles of this radius there.
TERMINAL_RADIUS_M = 3000.0


def detector_config() -> DetectorConfig:
    """Detector thresholds from the operator tunables (``core.config.TUNABLES``)."""
    tunables = settings.TUNABLES
    return DetectorConfig(
        stop_min_s=float(tunables["tracking_stop_min_s"]),
        max_gap_s=float(tunables["tracking_max_gap_s"]),
        deviation_min_s=float(tunables["tracking_deviation_min_s"]),
        split_distance_m=float(tunables["tracking_split_distance_m"]),
        split_rejoin_m=0.8 * float(tunables["tracking_split_distance_m"]),
        # Zones of one company spread over Peru: a coarser raster keeps it under ~10 MB.
        grid_cell_m=200.0,
        max_grid_cells=2_000_000,
    )


@dataclass
class OrgEngine:
    """An engine with the lookups that turn its keys back into rows."""

    organisation_id: int
    engine: TrackingEngine
    zone_names: dict[str, str] = field(default_factory=dict)
    trip_ids: dict[str, int] = field(default_factory=dict)
    trip_sites: dict[str, int | None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _engine_zone(zone: Zone) -> EngineZone | None:
    kind = ZONE_KIND.get(zone.kind, "generic")
    if zone.radius_m and zone.center_lat is not None:
        return EngineZone(
            f"zone:{zone.pk}", kind=kind, center_lonlat=(zone.center_lon, zone.center_lat),
            radius_m=zone.radius_m, speed_limit_kmh=zone.speed_limit_kmh,
        )  # fmt: skip
    geometry = zone.geometry or {}
    if geometry.get("type") != "Polygon":
        return None
    ring = [tuple(point[:2]) for point in geometry["coordinates"][0]]
    return EngineZone(
        f"zone:{zone.pk}", kind=kind, polygon_lonlat=ring, speed_limit_kmh=zone.speed_limit_kmh
    )


def _engine_route(route: Route) -> EngineRoute | None:
    geometry = route.geometry or {}
    if geometry.get("type") != "LineString" or len(geometry.get("coordinates", [])) < 2:
        return None
    return EngineRoute(
        f"route:{route.pk}", [tuple(point[:2]) for point in geometry["coordinates"]],
        buffer_m=route.buffer_m, speed_limits_kmh=route.speed_limit_kmh,
    )  # fmt: skip


def _terminal(key: str, kind: str, site: Any) -> EngineZone:
    return EngineZone(
        key, kind=kind, center_lonlat=(site.lon, site.lat), radius_m=TERMINAL_RADIUS_M
    )


def _trip_inputs(trip: Trip, members: dict[str, str], zones: list, names: dict) -> EngineTrip:
    route = trip.route
    destination = None
    if trip.destination_zone_id is not None:
        destination = f"zone:{trip.destination_zone_id}"
    elif route is not None and route.destination is not None:
        destination = f"trip:{trip.pk}:destination"
        zones.append(_terminal(destination, "destination", route.destination))
        names[destination] = route.destination.name
    if route is not None and route.origin is not None:
        origin = f"trip:{trip.pk}:origin"
        zones.append(_terminal(origin, "origin", route.origin))
        names[origin] = route.origin.name
    departed = trip.departed_at or trip.departure_after
    return EngineTrip(
        trip.reference, members=members,
        route_key=f"route:{route.pk}" if route is not None else None,
        destination_zone_key=destination, depart_after=departed,
        arrive_before=trip.arrival_before,
    )  # fmt: skip


def build_engine(organisation_id: int) -> OrgEngine:
    """An engine for the organisation's zones and en-route trips, continuing from saved state."""
    zones, names = [], {}
    for zone in Zone.objects.filter(organisation_id=organisation_id):
        converted = _engine_zone(zone)
        if converted is not None:
            zones.append(converted)
            names[converted.key] = zone.name
    trips = (
        Trip.objects.filter(organisation_id=organisation_id, status=TripStatus.EN_ROUTE)
        .select_related("route__origin", "route__destination")
        .prefetch_related("members__vehicle__devices")
        .order_by("-departed_at", "-pk")
    )
    engine_trips, routes, seen, trip_ids, trip_sites = [], {}, set(), {}, {}
    for trip in trips:
        members = {}
        for member in trip.members.all():
            for device in member.vehicle.devices.all():
                if device.unique_id not in seen:  # a device follows its newest trip
                    members[device.unique_id] = member.role
                    seen.add(device.unique_id)
        if trip.route is not None and trip.route_id not in routes:
            routes[trip.route_id] = _engine_route(trip.route)
        if routes.get(trip.route_id) is None:
            trip.route = None
        engine_trips.append(_trip_inputs(trip, members, zones, names))
        trip_ids[trip.reference], trip_sites[trip.reference] = trip.pk, trip.site_id
    engine = TrackingEngine(
        detector_config(), zones=zones, routes=[r for r in routes.values() if r],
        trips=engine_trips,
    )  # fmt: skip
    states = TrackerState.objects.filter(device__organisation_id=organisation_id).values_list(
        "device__unique_id", "state"
    )
    engine.import_state({key: state for key, state in states if state})
    return OrgEngine(organisation_id, engine, names, trip_ids, trip_sites)


class EngineRegistry:
    """This process's engines, by organisation; ``invalidate`` makes the next use rebuild."""

    def __init__(self) -> None:
        self._engines: dict[int, OrgEngine] = {}
        self._lock = threading.Lock()

    def get(self, organisation_id: int) -> OrgEngine:
        with self._lock:
            found = self._engines.get(organisation_id)
        if found is None:
            found = build_engine(organisation_id)
            with self._lock:
                self._engines.setdefault(organisation_id, found)
                found = self._engines[organisation_id]
        return found

    def loaded(self) -> list[OrgEngine]:
        with self._lock:
            return list(self._engines.values())

    def invalidate(self, organisation_id: int | None = None) -> None:
        """Forget one organisation's engine (or all); the next fix rebuilds it from the database."""
        with self._lock:
            if organisation_id is None:
                self._engines.clear()
            else:
                self._engines.pop(organisation_id, None)


registry = EngineRegistry()


@dataclass(frozen=True)
class DeviceInfo:
    """What ingest needs to know about a registered tracker."""

    pk: int
    unique_id: str
    organisation_id: int
    site_id: int | None
    secret_hash: str
    accepts_unauthenticated: bool
    vehicle_plate: str


class DeviceDirectory:
    """Active devices by unique id, cached in memory; ``forget`` on any device change.

    The cache holds each device's hashed secret, so checking a sender costs one
    SHA-256 and no query.
    """

    def __init__(self) -> None:
        self._cache: dict[str, DeviceInfo] = {}
        self._lock = threading.Lock()

    def lookup(self, keys: set[str]) -> dict[str, DeviceInfo]:
        with self._lock:
            found = {key: self._cache[key] for key in keys if key in self._cache}
        missing = keys - set(found)
        if missing:
            rows = Device.objects.filter(unique_id__in=missing, is_active=True).select_related(
                "vehicle"
            )
            fresh = {d.unique_id: _info(d) for d in rows}
            with self._lock:
                self._cache.update(fresh)
            found.update(fresh)
        return found

    def forget(self, unique_id: str | None = None) -> None:
        with self._lock:
            if unique_id is None:
                self._cache.clear()
            else:
                self._cache.pop(unique_id, None)


def _info(device: Device) -> DeviceInfo:
    return DeviceInfo(
        device.pk, device.unique_id, device.organisation_id, device.site_id,
        device.secret_hash, device.accepts_unauthenticated,
        device.vehicle.plate if device.vehicle else "",
    )  # fmt: skip


directory = DeviceDirectory()

# How often the live clock looks for signal losses and late arrivals without a new fix.
CLOCK_INTERVAL = timedelta(seconds=15)
