"""Demo intelligence: threat actors around Pataz and the southern corridor, graded reports.

Every actor, source and report here is synthetic (labelled so); the places are real.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minewatch.incidents.models import Incident
from minewatch.intel import services
from minewatch.intel.early_warnings import WarningParams, scan_warnings

SYNTHETIC_NOTE = "Actor ficticio (datos de demostración sintéticos)."

# (key, name, kind, aliases, (min_lon, min_lat, max_lon, max_lat), modus operandi, incident types)
ACTORS = (
    ("pataz_band", "Banda 'Los Topos de Pataz' (sintético)", "criminal_organisation",
     ["Los Topos"], (-77.65, -7.90, -77.45, -7.70),
     "Cobro de cupos a contratistas y mineros artesanales; ataques a bocaminas con explosivos.",
     ("extortion", "protection_payment_demand", "assassination")),
    ("pataz_miners", "Frente de mineros ilegales del Alto Pataz (sintético)", "illegal_mining_group",
     ["Los del Alto"], (-77.70, -7.85, -77.50, -7.65),
     "Socavones que conectan con labores formales; ingreso nocturno a la concesión.",
     ("concession_invasion", "illegal_extraction", "ore_theft")),
    ("pataz_buyers", "Red de acopio de mineral de Vijus (sintético)", "criminal_organisation",
     ["Acopiadores"], (-77.62, -7.80, -77.48, -7.68),
     "Compra de mineral robado y blanqueo mediante plantas informales.",
     ("mineral_trafficking",)),
    ("corridor_gang", "Banda de asaltos del Corredor Sur (sintético)", "criminal_organisation",
     ["Los del Km 40"], (-72.5, -15.5, -71.3, -14.0),
     "Bloqueo de vía con piedras y asalto a camiones de concentrado en tramos sin cobertura.",
     ("convoy_attack", "cargo_hijacking", "concentrate_theft")),
    ("corridor_unknown", "Grupo no identificado de Velille (sintético)", "unidentified_group",
     [], None, "Vigilancia de convoyes desde motocicletas.", ()),
)  # fmt: skip

LINKS = (
    ("pataz_band", "pataz_miners", "allied_with", 0.7, "Testimonios coinciden en pagos de cupos."),
    ("pataz_miners", "pataz_buyers", "supplies", 0.6, "Mineral decomisado con sacos de Vijus."),
    ("corridor_unknown", "corridor_gang", "suspected_same_as", 0.3, "Mismas motos reportadas."),
)

# (site or route key, title, summary, reliability, credibility, days ago, dlat, dlon, actors)
REPORTS = (
    ("poderosa", "Reunión de cabecillas en Vijus", "Se coordinaría ingreso masivo a bocaminas.",
     "B", "2", 3, -0.02, -0.03, ("pataz_band", "pataz_miners")),
    ("poderosa", "Compra de explosivos sin licencia", "Acopio de dinamita en caserío cercano.",
     "C", "3", 5, 0.01, -0.02, ("pataz_miners",)),
    ("poderosa", "Amenaza a contratista de transporte", "Mensajes exigiendo cupo semanal.",
     "A", "2", 8, -0.01, 0.01, ("pataz_band",)),
    ("poderosa", "Rumor de ataque a planta", "Versión no confirmada en mercado local.",
     "F", "6", 12, 0.03, 0.02, ()),
    ("las_bambas", "Vigilancia de convoyes en Velille", "Motos siguen a los camiones de noche.",
     "C", "2", 4, 0.0, 0.0, ("corridor_unknown",)),
    ("las_bambas", "Planificación de asalto en tramo sin cobertura",
     "Informante indica asalto en los próximos días.", "B", "3", 2, 0.0, 0.0,
     ("corridor_gang",)),
)  # fmt: skip


def _area(bounds: tuple[float, float, float, float] | None) -> dict[str, Any] | None:
    if bounds is None:
        return None
    x0, y0, x1, y1 = bounds
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _recent_incidents(types: tuple[str, ...], owner_id: int) -> list[Incident]:
    if not types:
        return []
    return list(Incident.objects.filter(organisation_id=owner_id, incident_type__in=types)
                .order_by("-occurred_at")[:4])  # fmt: skip


def load(context: Any) -> None:
    """Actors, links, a source, graded reports near Pataz and the corridor, then a scan."""
    analyst = context.users["analyst"]
    owner_id = analyst.organisation_id
    source = services.save_source(actor=analyst, name="Fuente DEMO-01 (sintética)",
                                  handler=analyst, contact="radio (ficticio)",
                                  notes=SYNTHETIC_NOTE)  # fmt: skip
    actors = {}
    for key, name, kind, aliases, bounds, modus, types in ACTORS:
        actors[key] = services.save_actor(
            actor=analyst, name=name, kind=kind, aliases=aliases, geometry=_area(bounds),
            modus_operandi=modus, description=SYNTHETIC_NOTE, is_synthetic=True,
            incidents=_recent_incidents(types, owner_id),
        )  # fmt: skip
    for first, second, relation, confidence, evidence in LINKS:
        services.link_actors(actor=analyst, from_actor=actors[first], to_actor=actors[second],
                             relation=relation, confidence=confidence, evidence=evidence,
                             source=source)  # fmt: skip
    corridor = context.routes["southern_corridor"].geometry["coordinates"]
    velille = corridor[len(corridor) // 3]
    for index, (site_key, title, summary, rel, cred, days, dlat, dlon, keys) in enumerate(REPORTS):
        site = context.sites[site_key]
        lat, lon = (site.lat + dlat, site.lon + dlon) if index < 4 else (velille[1], velille[0])
        services.report_intel(
            actor=analyst, title=f"{title} (sintético)", summary=summary, lat=lat, lon=lon,
            observed_at=context.now - dt.timedelta(days=days), source_reliability=rel,
            information_credibility=cred, source=source, actors=[actors[k] for k in keys],
            sites=[site] if index < 4 else [], is_synthetic=True,
            valid_until=context.now + dt.timedelta(days=30),
        )  # fmt: skip
    warnings = scan_warnings(organisation_id=owner_id, now=context.now,
                             since=context.now - dt.timedelta(days=180),
                             params=WarningParams())  # fmt: skip
    context.summary.append(
        f"{len(actors)} threat actors, {len(REPORTS)} graded reports, "
        f"{len(warnings)} early warnings (synthetic)"
    )
