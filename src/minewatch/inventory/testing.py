"""Inventory records for both companies of the test world (see minewatch.testing.world).

Per company: two weighbridges (mine, port), a port site, a lot on the tracking trip
weighed at both ends with 1 t missing (a trip-loss finding), and a seal check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.geo import services as geo_services
from minewatch.inventory import magazine, services
from minewatch.inventory.models import Lot


def weighing(lot: Any, point: str, bridge: Any, wet_t: float, *, ticket: str = "",
             moisture_pct: float = 8.0, hours: float = 0.0) -> dict[str, Any]:  # fmt: skip
    """The values of one ticket for ``lot`` (plate and reference as the ticket prints them)."""
    return {
        "ticket_number": ticket or f"{lot.reference}-{point}", "lot": lot.reference,
        "custody_point": point, "weighbridge": bridge.code, "truck": lot.truck.plate,
        "weighed_at": (lot.dispatched_at + dt.timedelta(hours=hours)).isoformat(),
        "wet_tonnes": wet_t, "moisture_pct": moisture_pct,
    }  # fmt: skip


def make_chain(world: Any, key: str) -> dict[str, Any]:
    """Weighbridges, a port and one lot on the company's tracking trip (not yet weighed)."""
    user = world.users["security_manager" if key == "a" else "b-manager"]
    site = world.sites["a1" if key == "a" else "b1"]
    if f"inventory_{key}" in world.extra:  # a second chain shares the port and weighbridges
        made = world.extra[f"inventory_{key}"]
        port, mine_bridge, port_bridge = made["port"], made["mine_bridge"], made["port_bridge"]
    else:
        port = geo_services.save_site(actor=user, organisation=site.organisation,
                                      name=f"Puerto {key}", kind="port", lat=-17.02, lon=-72.01)  # fmt: skip
        mine_bridge = services.save_weighbridge(actor=user, site=site, code=f"BAL-{key}-MINA",
                                                mpe_pct=0.1, accuracy_class="OIML R76 III")  # fmt: skip
        port_bridge = services.save_weighbridge(actor=user, site=port, code=f"BAL-{key}-PUERTO",
                                                mpe_pct=0.1, accuracy_class="OIML R76 III")  # fmt: skip
    tracking = world.extra[f"tracking_{key}"]
    number = Lot.objects.filter(organisation_id=site.organisation_id).count() + 1
    lot = services.register_lot(
        actor=user, reference=f"LOT-{key.upper()}-{number}", product="copper_concentrate", origin=site,
        destination=port, truck=tracking["truck"], trip=tracking["trip"], driver_name=f"Chofer {key}",
        dispatched_at=timezone.now() - dt.timedelta(hours=10), seal_numbers=[f"S-{key}-1", f"S-{key}-2"],
    )  # fmt: skip
    return {"user": user, "port": port, "mine_bridge": mine_bridge, "port_bridge": port_bridge,
            "lot": lot}  # fmt: skip


def extend_world(world: Any) -> None:
    """Per company: the chain, both weighings (1 t missing: a trip-loss finding), a seal check."""
    for key in ("a", "b"):
        made = make_chain(world, key)
        lot, user = made["lot"], made["user"]
        services.record_weighing(actor=user, values=weighing(lot, "weighbridge_out",
                                 made["mine_bridge"], 30.0))  # fmt: skip
        services.record_weighing(actor=user, values=weighing(lot, "weighbridge_in",
                                 made["port_bridge"], 29.0, hours=9))  # fmt: skip
        made["seal_check"] = services.check_seals(
            actor=user, lot=lot, observed=[{"number": f"S-{key}-1", "condition": "intact"},
                                           {"number": f"S-{key}-2", "condition": "intact"}],
        )  # fmt: skip
        made["magazine"] = geo_services.save_site(
            actor=user, organisation=lot.origin.organisation, name=f"Polvorín {key}",
            kind="explosives_magazine", lat=lot.origin.lat + 0.2, lon=lot.origin.lon,
        )  # fmt: skip
        made["receipt"] = magazine.record_entry(
            actor=user, magazine=made["magazine"], product="detonator", kind="receipt",
            quantity=500, guia_remision=f"T001-0000{key}",
        )  # fmt: skip
        made["capture"] = services.record_capture(weighbridge=made["mine_bridge"], mass_kg=30950)
        world.extra[f"inventory_{key}"] = made
