"""Fleet, trips, positions and detections for both companies of the test world.

``extend_world`` is called by :func:`minewatch.testing.world.build_world`, so the
tenancy walker finds tracking records of company A (site a1, whose contractor
``psc`` may see them) and company B (site b1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.tracking.choices import IngestSource, TripStatus
from minewatch.tracking.engine import Fix
from minewatch.tracking.engines import directory, registry
from minewatch.tracking.services import fleet
from minewatch.tracking.services.ingest import ingest_fixes, reject_input

# The secret of every tracker the test world registers (each stored hashed, as always).
TEST_SECRET = "test-tracker-secret-0123456789"  # noqa: S105 - test fixture, not a credential


def reset_engines() -> None:
    """Forget this process's engines and device cache (each test starts from the database)."""
    registry.invalidate()
    directory.forget()


def restore_world(world: Any) -> None:
    """After the test world is restored from its snapshot (``minewatch.testing.world_cache``):
    engines reload from the rows; the world's trackers just had their positions published,
    as after ``extend_world``'s fixes (a test's first fix does not publish another)."""
    import time

    from minewatch.tracking.services import ingest

    reset_engines()
    if world is None:
        return
    clock = time.monotonic()
    for key in ("a", "b"):
        for device in world.extra[f"tracking_{key}"]["devices"].values():
            ingest._last_position_event[device.pk] = clock


def make_fleet(world: Any, key: str, *, start: bool = True) -> dict[str, Any]:
    """A truck and an escort with trackers ``TRK-<key>`` / ``ESC-<key>`` on a trip of route ``key``."""
    user = world.users["security_manager" if key == "a" else "b-manager"]
    site = world.sites["a1" if key == "a" else "b1"]
    truck = fleet.save_vehicle(actor=user, plate=f"{key.upper()}1-100", kind="truck", site=site)
    escort = fleet.save_vehicle(actor=user, plate=f"{key.upper()}1-200", kind="escort", site=site)
    devices = {
        name: fleet.save_device(
            actor=user,
            unique_id=f"{name}-{key.upper()}",
            name=f"{name} {key}",
            vehicle=vehicle,
            site=site,
            secret=TEST_SECRET,
        )  # fmt: skip
        for name, vehicle in (("TRK", truck), ("ESC", escort))
    }
    now = timezone.now()
    trip = fleet.save_trip(
        actor=user, reference=f"TRIP-{key.upper()}-1", route=world.routes[key], site=site,
        departure_after=now - dt.timedelta(hours=1), arrival_before=now + dt.timedelta(hours=8),
        cargo_material="concentrado de cobre", cargo_tonnes=30.5, declared_value_usd=250000,
        seal_numbers=[f"SEAL-{key}-1", f"SEAL-{key}-2"],
        vehicles=[(truck, "cargo"), (escort, "escort")],
    )  # fmt: skip
    if start:
        trip = fleet.change_trip_status(
            trip, actor=user, to_status=TripStatus.EN_ROUTE, at=now - dt.timedelta(minutes=30)
        )
    return {"truck": truck, "escort": escort, "devices": devices, "trip": trip, "user": user}


def route_start(world: Any, key: str) -> tuple[float, float]:
    """(lat, lon) of the first vertex of route ``key``."""
    lon, lat = world.routes[key].geometry["coordinates"][0][:2]
    return lat, lon


def extend_world(world: Any) -> None:
    """Per company: fleet and trip, two fixes each, an alarm detection, a rejection counter."""
    reset_engines()
    now = timezone.now()
    for key in ("a", "b"):
        made = make_fleet(world, key)
        lat, lon = route_start(world, key)
        fixes = [
            Fix(
                f"{name}-{key.upper()}",
                now - dt.timedelta(seconds=seconds),
                lat,
                lon,
                speed_kmh=30.0,
                attributes={"alarm": "sos"} if seconds == 60 and name == "TRK" else {},
            )  # fmt: skip
            for name in ("TRK", "ESC")
            for seconds in (120, 60)
        ]
        ingest_fixes(fixes, source=IngestSource.OSMAND, token=TEST_SECRET, now=now)
        reject_input(
            source=IngestSource.OSMAND, reason="malformed", field_name="lat",
            message="not a number", device_key=f"TRK-{key.upper()}",
        )  # fmt: skip
        world.extra[f"tracking_{key}"] = made


def make_organisation_devices(count: int, *, name: str = "Fleet test org") -> list[str]:
    """An organisation with ``count`` trackers (no world: for tests with worker threads)."""
    from minewatch.core import services as core_services
    from minewatch.core.choices import OrganisationKind

    reset_engines()
    organisation = core_services.create_organisation(
        actor=None, name=name, kind=OrganisationKind.MINING_COMPANY
    )
    keys = [f"MQ-{i:03d}" for i in range(count)]
    for key in keys:
        fleet.save_device(actor=None, organisation=organisation, unique_id=key, secret=TEST_SECRET)
    return keys
