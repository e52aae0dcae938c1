"""Demo geography: the large mines at their public locations, zones, the southern corridor."""

from __future__ import annotations

from typing import Any

from minewatch.geo import services
from minewatch.geo.choices import ZoneKind
from minewatch.geo.peru_places import MINES, PATAZ_TOWNS, PORTS, SOUTHERN_CORRIDOR, densify

PUBLIC_LOCATION = "Public location (approximate); owner in this demo is synthetic"

# Which demo company owns which real site in the demo (synthetic ownership).
COMPANY_1_SITES = ("las_bambas", "antapaccay", "constancia", "cerro_verde", "toquepala",
                   "cuajone", "quellaveco", "poderosa", "matarani")  # fmt: skip
PSC_1_SITES = ("las_bambas", "antapaccay", "matarani")
PSC_2_SITES = ("antamina",)


def _zones_for(context: Any, site: Any, key: str) -> int:
    owner, admin = site.organisation, context.users["admin"]
    actor = admin if owner.pk == admin.organisation_id else context.users["manager2"]
    zones = [
        (f"Perímetro {site.name}", ZoneKind.PERIMETER, 0.0, 0.0, 3000),
        (f"Acceso principal {site.name}", ZoneKind.RESTRICTED, 0.02, 0.02, 400),
        (f"Comunidad cercana a {site.name}", ZoneKind.COMMUNITY, -0.06, 0.05, 2500),
    ]
    if key == "poderosa":
        zones += [
            ("Zona de minería ilegal Pataz (socavones)", ZoneKind.ILLEGAL_MINING_HOTSPOT,
             -0.04, -0.05, 4000),
            ("Zona de alto riesgo Vijus–Pataz", ZoneKind.HIGH_RISK, 0.01, -0.04, 6000),
        ]  # fmt: skip
    for name, kind, dlat, dlon, radius in zones:
        services.save_zone(
            actor=actor, organisation=owner, name=name, kind=kind, site=site,
            center_lat=site.lat + dlat, center_lon=site.lon + dlon, radius_m=radius,
        )  # fmt: skip
    return len(zones)


def _corridor(context: Any) -> None:
    from minewatch.core.demo import COMPANY_1

    admin = context.users["admin"]
    owner = context.organisations[COMPANY_1]
    line = {"type": "LineString", "coordinates": densify(SOUTHERN_CORRIDOR)}
    route = services.save_route(
        actor=admin, organisation=owner, name="Corredor Minero Sur: Las Bambas → Matarani",
        geometry=line, buffer_m=600, origin=context.sites["las_bambas"],
        destination=context.sites["matarani"], speed_limit_kmh=60,
        source="Waypoints are real towns; alignment between them approximated (synthetic)",
    )  # fmt: skip
    context.routes["southern_corridor"] = route
    for key in ("yauri", "imata", "arequipa"):
        town = next(p for p in SOUTHERN_CORRIDOR if p.key == key)
        services.save_zone(
            actor=admin, organisation=owner, name=f"Parada autorizada {town.name}",
            kind=ZoneKind.AUTHORISED_STOP, route=route, center_lat=town.lat,
            center_lon=town.lon, radius_m=1500,
        )  # fmt: skip
    for key in ("challhuahuacho", "velille", "condoroma"):
        town = next(p for p in SOUTHERN_CORRIDOR if p.key == key)
        services.save_zone(
            actor=admin, organisation=owner, name=f"Punto de bloqueo recurrente {town.name}",
            kind=ZoneKind.HIGH_RISK, route=route, center_lat=town.lat, center_lon=town.lon,
            radius_m=2500,
        )  # fmt: skip
    pataz = [PATAZ_TOWNS[2], PATAZ_TOWNS[3], PATAZ_TOWNS[0], PATAZ_TOWNS[1]]
    context.routes["pataz"] = services.save_route(
        actor=admin, organisation=owner, name="Ruta Tayabamba → Pataz → La Poderosa",
        geometry={"type": "LineString", "coordinates": densify(tuple(pataz))}, buffer_m=500,
        destination=context.sites["poderosa"], speed_limit_kmh=40,
        source="Waypoints are real towns; alignment approximated (synthetic)",
    )  # fmt: skip


def load(context: Any) -> None:
    """Sites, zones, routes and contractor assignments."""
    from minewatch.core.demo import COMPANY_1, COMPANY_2, PSC_1, PSC_2

    zone_count = 0
    for place in (*MINES, *PORTS):
        company = COMPANY_1 if place.key in COMPANY_1_SITES else COMPANY_2
        actor = context.users["admin" if company == COMPANY_1 else "manager2"]
        site = services.save_site(
            actor=actor, organisation=context.organisations[company], name=place.name,
            kind=place.kind, lat=place.lat, lon=place.lon, description=place.note,
            source=PUBLIC_LOCATION,
        )  # fmt: skip
        context.sites[place.key] = site
        zone_count += _zones_for(context, site, place.key)
    _corridor(context)
    for psc, keys, actor in ((PSC_1, PSC_1_SITES, "admin"), (PSC_2, PSC_2_SITES, "manager2")):
        for key in keys:
            services.assign_contractor(
                actor=context.users[actor], site=context.sites[key],
                contractor=context.organisations[psc], service="Vigilancia privada y monitoreo",
            )  # fmt: skip
    context.summary.append(
        f"{len(context.sites)} sites, {zone_count + 6} zones, {len(context.routes)} routes"
    )
