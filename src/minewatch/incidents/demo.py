"""At least 300 synthetic incidents over 24 months, placed where each threat is plausible.

Organised crime and illegal mining concentrate around Pataz (La Libertad),
blockades and convoy attacks along the southern corridor, social conflict
around the large copper mines. Every incident is marked synthetic.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from minewatch.geo.peru_places import SOUTHERN_CORRIDOR, densify
from minewatch.incidents import services, taxonomy
from minewatch.incidents.choices import IncidentStatus

# (name, count, site keys, threat-type weights, active hours, jitter km)
HOTSPOTS: tuple[tuple[str, int, tuple[str, ...], dict[str, int], tuple[int, int], float], ...] = (
    ("pataz", 110, ("poderosa",), {
        "extortion": 14, "protection_payment_demand": 10, "threat_intimidation": 8,
        "assassination": 4, "homicide": 4, "kidnapping": 3, "robbery_cash_valuables": 4,
        "infiltration_company_contractor": 3, "concession_invasion": 12, "illegal_extraction": 12,
        "ore_theft": 10, "armed_confrontation": 6, "supply_chain_infiltration": 3,
        "mineral_trafficking": 5, "explosives_theft": 2}, (19, 5), 6.0),
    ("corridor", 90, ("las_bambas", "antapaccay", "cerro_verde", "matarani"), {
        "road_blockade": 30, "protest": 12, "convoy_attack": 8, "cargo_hijacking": 6,
        "concentrate_theft": 10, "property_damage": 6, "threat_intimidation": 3, "ambush": 1},
     (5, 20), 0.3),
    ("southern_mines", 50, ("las_bambas", "antapaccay", "constancia"), {
        "protest": 12, "occupation_of_facilities": 6, "staff_retention": 3, "violent_clash": 4,
        "property_damage": 4, "internal_theft": 5, "unauthorised_access": 4, "sabotage": 2,
        "terrorist_extortion": 1, "environmental_damage": 2}, (7, 19), 4.0),
    ("north", 40, ("antamina", "yanacocha"), {
        "protest": 10, "road_blockade": 8, "occupation_of_facilities": 3, "concession_invasion": 4,
        "illegal_extraction": 4, "internal_theft": 3, "extortion": 3, "fraud": 1}, (6, 20), 5.0),
    ("south_coast_mines", 30, ("cerro_verde", "toquepala", "cuajone", "quellaveco"), {
        "internal_theft": 8, "fraud": 3, "unauthorised_access": 5, "policy_breach": 3,
        "explosives_theft": 2, "sabotage": 1, "attack_on_infrastructure": 1, "extortion": 3,
        "armed_attack": 1}, (0, 24), 4.0),
)  # fmt: skip

MODUS = {
    "extortion": (
        "Mensajes de WhatsApp exigiendo pago semanal a contratistas",
        ["whatsapp", "cupos"],
    ),
    "protection_payment_demand": (
        "Cobro de cupos a transportistas en la ruta",
        ["cupos", "transporte"],
    ),
    "concession_invasion": (
        "Ingreso nocturno de mineros informales a la concesión",
        ["invasion", "nocturno"],
    ),
    "illegal_extraction": (
        "Socavón ilegal que conecta con labores de la mina",
        ["socavon", "tunel"],
    ),
    "ore_theft": ("Sustracción de mineral de cancha en sacos", ["mineral", "sacos"]),
    "road_blockade": (
        "Bloqueo con piedras y troncos en la vía del corredor",
        ["bloqueo", "corredor"],
    ),
    "convoy_attack": (
        "Vehículos interceptan el convoy y disparan al escolta",
        ["convoy", "intercepcion"],
    ),
    "cargo_hijacking": (
        "Desvío de camión de concentrado a punto no autorizado",
        ["desvio", "concentrado"],
    ),
    "concentrate_theft": (
        "Cambio de precintos y extracción de concentrado en parada",
        ["precintos"],
    ),
    "kidnapping": ("Retención de trabajador en el trayecto al campamento", ["secuestro"]),
    "assassination": ("Sicarios en motocicleta atacan a vigilante", ["sicariato", "moto"]),
}
WEAPONS = {
    "organised_crime": ["firearm"], "illegal_mining": ["explosive", "firearm"],
    "terrorism": ["explosive", "firearm"], "social_conflict": ["blunt"], "internal": ["none"],
}  # fmt: skip
ARMED = {"convoy_attack", "cargo_hijacking", "assassination", "homicide", "armed_confrontation",
         "armed_attack", "ambush", "robbery_cash_valuables", "kidnapping"}  # fmt: skip


def _hour(rng: Any, window: tuple[int, int]) -> int:
    start, end = window
    span = (end - start) % 24 or 24
    return (start + rng.randrange(span)) % 24


def _jitter(rng: Any, lat: float, lon: float, km: float) -> tuple[float, float]:
    dlat = rng.gauss(0, km) / 111.0
    dlon = rng.gauss(0, km) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _place(
    context: Any, rng: Any, name: str, sites: tuple[str, ...], km: float
) -> tuple[Any, float, float]:
    """A point near the hotspot, on land (incidents must fall on Peruvian land)."""
    from minewatch.geo.engine.regions import peru_regions

    for _try in range(20):
        site, lat, lon = _jittered_place(context, rng, name, sites, km)
        if peru_regions().locate(lat, lon) is not None:
            return site, lat, lon
    return site, site.lat, site.lon


def _jittered_place(
    context: Any, rng: Any, name: str, sites: tuple[str, ...], km: float
) -> tuple[Any, float, float]:
    if name == "corridor":
        lon, lat = rng.choice(context.extra["corridor_vertices"])
        lat, lon = _jitter(rng, lat, lon, km)
        site = min((context.sites[k] for k in sites),
                   key=lambda s: (s.lat - lat) ** 2 + (s.lon - lon) ** 2)  # fmt: skip
        return site, lat, lon
    site = context.sites[rng.choice(sites)]
    lat, lon = _jitter(rng, site.lat, site.lon, km)
    return site, lat, lon


def _values(
    context: Any, rng: Any, kind: taxonomy.IncidentType, window: tuple[int, int]
) -> dict[str, Any]:
    days_ago = rng.uniform(1, 730)
    day = (context.now - dt.timedelta(days=days_ago)).astimezone(dt.UTC)
    # Local hour in Lima (UTC-5) mapped to UTC.
    local_hour = _hour(rng, window)
    occurred = day.replace(
        hour=(local_hour + 5) % 24, minute=rng.randrange(60), second=0, microsecond=0
    )
    occurred = min(occurred, context.now - dt.timedelta(hours=1))
    armed = kind.code in ARMED
    low = rng.randint(1, 4) if armed else rng.randint(2, 40)
    text, tags = MODUS.get(kind.code, ("", []))
    values: dict[str, Any] = {
        "incident_type": kind.code, "occurred_at": occurred,
        "reported_at": occurred + dt.timedelta(minutes=rng.randint(5, 240)),
        "modus_operandi": text, "modus_operandi_tags": list(tags),
        "assailants_min": low, "assailants_max": low + rng.randint(0, 4 if armed else 60),
        "weapons": list(WEAPONS[kind.threat]) if armed or kind.threat == "terrorism" else [],
        "fatalities": rng.choice([0, 0, 0, 1]) if kind.code in {"assassination", "homicide", "armed_confrontation"} else 0,
        "injured_security": rng.choice([0, 0, 1, 2]) if armed else 0,
        "kidnapped": rng.randint(1, 3) if kind.code in {"kidnapping", "staff_retention"} else 0,
        "responders": ["psc"] + (["pnp"] if rng.random() < 0.6 else []),
        "narrative": f"Incidente sintético generado para la demostración: {kind.label_es.lower()}.",
        "sources": ["Synthetic demo data (MineWatch demo generator)"],
        "is_synthetic": True,
    }  # fmt: skip
    if "pnp" in values["responders"]:
        values["police_notified_at"] = occurred + dt.timedelta(minutes=rng.randint(3, 90))
        values["complaint_number"] = f"DEN-{occurred.year}-{rng.randint(1000, 99999)}"
        values["response_minutes"] = rng.randint(20, 300)
    if kind.code in {"concentrate_theft", "cargo_hijacking", "ore_theft"}:
        tonnes = round(rng.uniform(2, 34), 1)
        values.update(material_lost="concentrado de cobre" if kind.code != "ore_theft" else "mineral aurífero",
                      material_loss_quantity=Decimal(str(tonnes)), material_loss_unit="t",
                      loss_usd=Decimal(str(round(tonnes * rng.uniform(2500, 9000), 2))))  # fmt: skip
    elif armed or kind.threat == "illegal_mining":
        values["loss_usd"] = Decimal(str(round(rng.lognormvariate(9, 1.2), 2)))
    return values


def _advance(incident: Any, actor: Any, rng: Any, now: dt.datetime) -> None:
    age_days = (now - incident.occurred_at).days
    path = [IncidentStatus.VERIFIED, IncidentStatus.UNDER_INVESTIGATION,
            IncidentStatus.REFERRED_TO_AUTHORITIES, IncidentStatus.CLOSED]  # fmt: skip
    steps = min(len(path), int(age_days / 60) + rng.randint(0, 1))
    for status in path[:steps]:
        referral = {}
        if status == IncidentStatus.REFERRED_TO_AUTHORITIES:  # a referral names the complaint
            referral = {"complaint_number": f"DEN-{incident.occurred_at.year}-{incident.pk:05d}",
                        "police_unit": "Comisaría PNP de la zona"}  # fmt: skip
        services.change_status(incident, actor=actor, to_status=status, note="demo", **referral)


def load(context: Any) -> None:
    """Report the synthetic incidents through the incidents service."""
    rng = context.rng
    context.extra["corridor_vertices"] = densify(SOUTHERN_CORRIDOR)
    count = 0
    for name, total, sites, weights, window, km in HOTSPOTS:
        codes, counts = zip(*weights.items(), strict=True)
        for _ in range(total):
            kind = taxonomy.TYPES_BY_CODE[rng.choices(codes, weights=counts)[0]]
            site, lat, lon = _place(context, rng, name, sites, km)
            company_2 = site.organisation.name == context.users["manager2"].organisation.name
            reporter = context.users["manager2" if company_2 else "operator"]
            values = _values(context, rng, kind, window)
            incident = services.report_incident(
                actor=reporter, now=context.now, site=site, lat=lat, lon=lon,
                location_description=f"Cerca de {site.name} (sintético)", **values,
            )  # fmt: skip
            _advance(
                incident, context.users["manager2" if company_2 else "manager"], rng, context.now
            )
            count += 1
    context.summary.append(f"{count} synthetic incidents over 24 months")
