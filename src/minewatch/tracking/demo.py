"""Demo convoys on the southern corridor (Las Bambas → Matarani), history and a live simulator.

``load`` registers trucks, escorts and their trackers, three convoys en route
(which the simulator drives over real HTTP) and two convoys that travelled two
days ago, replayed through the ingest path so their positions and detections
(an unscheduled stop, a deviation, a signal gap) are in the database. All of it
is synthetic and labelled so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from minewatch.tracking.choices import TripStatus
from minewatch.tracking.engine import Fix
from minewatch.tracking.services import fleet
from minewatch.tracking.simulator import ConvoyPlan, ConvoySimulator

SYNTHETIC = "(demo, sintético)"
LIVE_PREFIX = "DEMO-LIVE-"
HISTORY_PREFIX = "DEMO-HIST-"
CONVOYS = 3  # live
HISTORY = 2
# First convoy: panic in minute one; the others start where their deviation and gap are near.
OFFSETS_S = (0.0, 840.0, 1140.0)


def _vehicle(context: Any, plate: str, kind: str, contractor: Any) -> Any:
    from minewatch.core.demo import COMPANY_1

    return fleet.save_vehicle(
        actor=context.users["admin"], organisation=context.organisations[COMPANY_1], plate=plate,
        kind=kind, contractor=contractor, site=context.sites["las_bambas"],
        description=f"Vehículo {SYNTHETIC}",
    )  # fmt: skip


def _convoy(context: Any, number: int, prefix: str) -> tuple[Any, list[str]]:
    """An escort (of the security contractor) and two concentrate trucks with trackers."""
    from minewatch.core.demo import PSC_1

    psc = context.organisations[PSC_1]
    members = [(_vehicle(context, f"{prefix[5]}E{number}-{700 + number}", "escort", psc), "escort")]
    members += [
        (_vehicle(context, f"{prefix[5]}T{number}-{800 + 10 * number + k}", "truck", None), "cargo")
        for k in (1, 2)
    ]
    keys = []
    for vehicle, role in members:
        key = f"{prefix}{number}-{vehicle.plate}"
        fleet.save_device(actor=context.users["admin"], organisation=vehicle.organisation,
                          unique_id=key, name=f"{role} {vehicle.plate}", vehicle=vehicle,
                          site=context.sites["las_bambas"])  # fmt: skip
        keys.append(key)
    return members, keys


def _trip(context: Any, reference: str, members: list, departed: dt.datetime) -> Any:
    route = context.routes["southern_corridor"]
    trip = fleet.save_trip(
        actor=context.users["admin"], organisation=route.organisation, reference=reference,
        route=route, site=context.sites["las_bambas"], departure_after=departed,
        arrival_before=departed + dt.timedelta(hours=14), cargo_material="concentrado de cobre",
        cargo_tonnes=2 * 30.0, declared_value_usd=2 * 30 * 7800, is_synthetic=True,
        seal_numbers=[f"PE-{reference[-2:]}-{n:04d}" for n in (11, 12, 13, 14)],
        vehicles=members, notes=f"Convoy {SYNTHETIC}",
    )  # fmt: skip
    return fleet.change_trip_status(
        trip, actor=context.users["operator"], to_status=TripStatus.EN_ROUTE, at=departed
    )


def _history_fixes(plan: ConvoyPlan, start: dt.datetime, hours: float) -> list[Fix]:
    """One fix a minute per device for ``hours``, with the simulator's stop, deviation, gap."""
    from minewatch.tracking.simulator import convoy_messages

    fixes, step = [], 60.0
    for minute in range(int(hours * 60)):
        at = start + dt.timedelta(minutes=minute)
        for params in convoy_messages(plan, minute * step, step, 1800.0 * 2):
            fixes.append(Fix(params["id"], at, float(params["lat"]), float(params["lon"]),
                             speed_kmh=float(params["speed"]) * 1.852,
                             course_deg=float(params["bearing"])))  # fmt: skip
    return fixes


def load(context: Any) -> None:
    """Vehicles, trackers, three live convoys and two historical ones with their detections."""
    from minewatch.tracking.replay import replay

    line = context.routes["southern_corridor"].geometry["coordinates"]
    for number in range(1, HISTORY + 1):
        members, keys = _convoy(context, number, HISTORY_PREFIX)
        start = context.now - dt.timedelta(days=2, hours=3 * number)
        trip = _trip(context, f"{HISTORY_PREFIX}{number:02d}", members, start)
        plan = ConvoyPlan(trip.reference, keys, [tuple(p) for p in line])
        result = replay(_history_fixes(plan, start, hours=2.5))
        fleet.change_trip_status(trip, actor=context.users["operator"], to_status="arrived",
                                 at=start + dt.timedelta(hours=10))  # fmt: skip
        context.summary.append(
            f"convoy {trip.reference}: {result.accepted} historical fixes, "
            f"{len(result.detections)} detections"
        )
    for number in range(1, CONVOYS + 1):
        members, _keys = _convoy(context, number, LIVE_PREFIX)
        _trip(context, f"{LIVE_PREFIX}{number:02d}", members, context.now)
    context.summary.append(f"{CONVOYS} convoys en route on the southern corridor (simulated)")


def live_plans() -> list[ConvoyPlan]:
    """The en-route demo convoys, escort first, from the database."""
    from minewatch.tracking.models import Trip

    trips = (
        Trip.objects.filter(reference__startswith=LIVE_PREFIX, status=TripStatus.EN_ROUTE)
        .select_related("route")
        .prefetch_related("members__vehicle__devices")
        .order_by("reference")
    )
    plans = []
    for index, trip in enumerate(trips):
        members = sorted(trip.members.all(), key=lambda m: (m.role != "escort", m.vehicle.plate))
        keys = [d.unique_id for m in members for d in m.vehicle.devices.all()]
        line = [tuple(p[:2]) for p in trip.route.geometry["coordinates"]]
        plans.append(ConvoyPlan(trip.reference, keys, line,
                                offset_s=OFFSETS_S[index % len(OFFSETS_S)],
                                panic_at_s=45.0 if index == 0 else None,
                                distance_m=math.fmod(index * 4000.0, 1e9)))  # fmt: skip
    return plans


def simulators(context: Any, base_url: str) -> list[Callable[[], None]]:
    """Start the convoy simulator (OsmAnd over HTTP to this server) once the server listens.

    The simulated trackers authenticate like real ones: only secrets' hashes are
    stored, so each demo tracker gets a new secret now (audited) that the
    simulator sends as ``id=KEY:SECRET``.
    """
    from minewatch.tracking.models import Device

    plans = live_plans()
    for plan in plans:
        for device in Device.objects.filter(unique_id__in=plan.device_keys):
            plan.secrets[device.unique_id] = fleet.rotate_device_secret(
                device, actor=context.users.get("admin")
            )

    def start() -> None:
        if plans:
            ConvoySimulator(base_url, plans).start()

    return [start]
