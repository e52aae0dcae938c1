"""Demo concentrate chain Las Bambas → Matarani: weighbridges, lots, weighings, seals (synthetic).

Two transport contractors run eight trucks for 60 days; every lot is weighed at the
mine scale, the weighbridge out, the Matarani weighbridge in and the final receipt,
with errors drawn from the documented error model. Planted, so the demo shows them:

* truck ``CTA-104`` (Transportes Altiplano Sur) loses 0.45 % of every load from its
  fourth trip on — no single trip is out of tolerance; the CUSUM finds it;
* a lot on the historical convoy ``DEMO-HIST-01`` (whose tracking shows an unscheduled
  stop) arrives 1.2 t short: one alert, severity 5;
* one lot arrives with a broken seal (photo as evidence of a concentrate-theft incident);
* the Las Bambas explosives magazine's month: receipts with guías de remisión, blasts
  issued, returned and consumed, one count — and blast ``VOL-LB-0412`` where 6 detonators
  are unaccounted for (issued − consumed − returned = 6), alerted at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.core.files.base import ContentFile

from minewatch.inventory import services

SYNTHETIC = "(demo, sintético)"
CONTRACTORS = ("Transportes Altiplano Sur S.A.C. (demo, synthetic)",
               "Carga Andina del Sur E.I.R.L. (demo, synthetic)")  # fmt: skip
TRUCKS = (("CTA-101", 0), ("CTA-102", 0), ("CTA-103", 0), ("CTA-104", 0),
          ("CAS-201", 1), ("CAS-202", 1), ("CAS-203", 1), ("CAS-204", 1))  # fmt: skip
DRIVERS = ("Juan Quispe Mamani", "Rosa Huamán Ccori", "Pedro Condori Apaza", "Luis Ttito Sullca",
           "Edwin Choque Layme", "Marco Puma Huillca", "Julio Cusi Vargas", "Raúl Mamani Flores")  # fmt: skip
SLOW_LOSS_TRUCK, SLOW_LOSS_PCT, SLOW_LOSS_FROM_TRIP = "CTA-104", 0.45, 4
DAYS, TRIP_EVERY_DAYS = 60, 3
# The tickets' errors come from their own generator, so the demo is the same whatever the
# other apps' loaders drew; with this seed no single trip of any truck is out of tolerance.
WEIGHING_SEED = 12
MOISTURE_SD_PP, WEIGHBRIDGE_MPE_PCT = 0.3, 0.1
# (code, site key, custody point, MPE %, accuracy class)
WEIGHBRIDGES = (
    ("LB-BAL-PLANTA", "las_bambas", "mine_scale", 0.1, "OIML R76 III"),
    ("LB-BAL-GARITA", "las_bambas", "weighbridge_out", 0.1, "OIML R76 III"),
    ("MAT-BAL-INGRESO", "matarani", "weighbridge_in", 0.1, "OIML R76 III"),
    ("MAT-BAL-ALMACEN", "matarani", "final_receipt", 0.05, "OIML R76 II"),
)


def _contractors(context: Any) -> list[Any]:
    from minewatch.core import services as core_services
    from minewatch.core.choices import OrganisationKind

    return [core_services.create_organisation(actor=None, name=name,
                                              kind=OrganisationKind.TRANSPORT_CONTRACTOR)
            for name in CONTRACTORS]  # fmt: skip


def _trucks(context: Any, contractors: list[Any]) -> dict[str, Any]:
    from minewatch.core.demo import COMPANY_1
    from minewatch.tracking.services import fleet

    return {plate: fleet.save_vehicle(
        actor=context.users["admin"], organisation=context.organisations[COMPANY_1], plate=plate,
        kind="truck", contractor=contractors[index], site=context.sites["las_bambas"],
        description=f"Camión encapsulado de concentrado {SYNTHETIC}",
    ) for plate, index in TRUCKS}  # fmt: skip


def _ticket(lot: Any, bridge: Any, point: str, wet_t: float, moisture_pct: float,
            at: dt.datetime) -> dict:  # fmt: skip
    return {"ticket_number": f"{bridge.code}-{lot.reference}", "lot": lot.reference,
            "custody_point": point, "weighbridge": bridge.code,
            "truck": lot.truck.plate, "weighed_at": at, "wet_tonnes": round(wet_t, 3),
            "moisture_pct": round(moisture_pct, 2), "is_synthetic": True}  # fmt: skip


def _weigh_lot(context: Any, lot: Any, bridges: list[tuple[Any, str]], rng: Any,
               loss_pct: float) -> None:  # fmt: skip
    """Four tickets with errors from the model; ``loss_pct`` goes missing between out and in."""
    loaded = rng.normal(31.0, 1.2)
    moisture = rng.normal(8.5, 0.6)
    hours = (0.0, 0.5, 11.0, 13.0)
    for n, (bridge, point) in enumerate(bridges):
        true_wet = loaded * (1 - loss_pct / 100) if n >= 2 else loaded
        read = true_wet * (1 + rng.uniform(-bridge.mpe_pct, bridge.mpe_pct) / 100)
        sampled = moisture + rng.normal(0, MOISTURE_SD_PP)
        at = lot.dispatched_at + dt.timedelta(hours=hours[n])
        services.record_weighing(actor=context.users["operator"],
                                 values=_ticket(lot, bridge, point, read, sampled, at))  # fmt: skip


def _bridges(context: Any) -> list[tuple[Any, str]]:
    made = []
    for code, site_key, point, mpe, accuracy in WEIGHBRIDGES:
        bridge = services.save_weighbridge(actor=context.users["admin"],
                                           site=context.sites[site_key], code=code, mpe_pct=mpe,
                                           name=f"Balanza {code} {SYNTHETIC}",
                                           accuracy_class=accuracy)  # fmt: skip
        made.append((bridge, point))
    return made


def _lot(context: Any, reference: str, truck: Any, driver: str, at: dt.datetime,
         trip: Any = None) -> Any:  # fmt: skip
    return services.register_lot(
        actor=context.users["operator"], reference=reference, product="copper_concentrate",
        origin=context.sites["las_bambas"], destination=context.sites["matarani"],
        route=context.routes["southern_corridor"], trip=trip, truck=truck, driver_name=driver,
        dispatched_at=at, is_synthetic=True,
        seal_numbers=[f"PE-{reference[-5:]}-{n}" for n in (1, 2, 3)],
    )  # fmt: skip


def _broken_seal(context: Any, lot: Any) -> Any:
    from minewatch.evidence import services as evidence_services
    from minewatch.evidence.demo import synthetic_jpeg
    from minewatch.incidents import services as incident_services

    site = context.sites["matarani"]
    arrived = lot.dispatched_at + dt.timedelta(hours=11)
    incident = incident_services.report_incident(
        actor=context.users["manager"], incident_type="concentrate_theft", site=site,
        occurred_at=arrived, lat=site.lat, lon=site.lon, is_synthetic=True,
        title=f"Precinto roto en el lote {lot.reference} {SYNTHETIC}",
        narrative=f"Al llegar a Matarani el precinto {lot.seal_numbers[1]} del lote "
                  f"{lot.reference} estaba roto. {SYNTHETIC}",
    )  # fmt: skip
    photo = evidence_services.intake_evidence(
        actor=context.users["manager"], incident=incident, kind="photo",
        file=ContentFile(synthetic_jpeg(f"Precinto roto {lot.seal_numbers[1]}", arrived, site.lat,
                                        site.lon), name="precinto_roto.jpg"),
        description=f"Precinto roto del lote {lot.reference}", declared_at=arrived,
        collected_by="Supervisor de balanza (demo)", trip_ref=lot.reference, is_synthetic=True,
        now=arrived + dt.timedelta(minutes=30),
    )  # fmt: skip
    observed = [{"number": lot.seal_numbers[0], "condition": "intact"},
                {"number": lot.seal_numbers[1], "condition": "broken"},
                {"number": lot.seal_numbers[2], "condition": "intact"}]  # fmt: skip
    return services.check_seals(actor=context.users["operator"], lot=lot, observed=observed,
                                checked_at=arrived, photos=[photo.pk],
                                notes=f"Precinto 2 roto, foto tomada {SYNTHETIC}")  # fmt: skip


def _history_lot(context: Any, bridges: list[tuple[Any, str]], rng: Any) -> None:
    """A lot on the historical convoy with an unscheduled stop, arriving 1.2 t short."""
    from minewatch.tracking.models import Trip

    trip = Trip.objects.filter(reference="DEMO-HIST-01").first()
    if trip is None:
        return
    member = trip.members.filter(role="cargo").select_related("vehicle").first()
    lot = _lot(context, "LB-MAT-HIST-01", member.vehicle, "Víctor Ayma Quispe",
               trip.departed_at or context.now - dt.timedelta(days=2), trip)  # fmt: skip
    _weigh_lot(context, lot, bridges, rng, loss_pct=4.0)


# The magazine's past: small thefts and intrusions over two years (type, days ago, loss USD),
# so it has a history like the other demo sites (the risk app's gaps and losses use it).
MAGAZINE_HISTORY = (
    ("explosives_theft", 690, 4200), ("unauthorised_access", 610, 800),
    ("internal_theft", 540, 1500), ("explosives_theft", 430, 6100),
    ("unauthorised_access", 350, 600), ("internal_theft", 260, 2300),
    ("explosives_theft", 150, 3900), ("internal_theft", 70, 1100),
)  # fmt: skip


def _magazine_history(context: Any, site: Any) -> None:
    from decimal import Decimal

    from minewatch.incidents import services as incident_services

    for incident_type, days_ago, loss_usd in MAGAZINE_HISTORY:
        occurred = context.now - dt.timedelta(days=days_ago)
        incident_services.report_incident(
            actor=context.users["operator"], now=context.now, site=site, incident_type=incident_type,
            occurred_at=occurred, reported_at=occurred + dt.timedelta(hours=2), lat=site.lat,
            lon=site.lon, loss_usd=Decimal(loss_usd), is_synthetic=True,
            location_description=f"Polvorín de Las Bambas {SYNTHETIC}",
            narrative=f"Incidente sintético en el polvorín {SYNTHETIC}.",
        )  # fmt: skip


def _magazine(context: Any) -> str:
    """An explosives magazine at Las Bambas with a month of ledger lines and one discrepancy."""
    from minewatch.geo import services as geo_services
    from minewatch.inventory import magazine

    mine = context.sites["las_bambas"]
    site = geo_services.save_site(
        actor=context.users["admin"], organisation=mine.organisation,
        name=f"Polvorín Las Bambas {SYNTHETIC}", kind="explosives_magazine",
        lat=mine.lat + 0.012, lon=mine.lon - 0.008,
    )  # fmt: skip
    _magazine_history(context, site)
    day = context.now.replace(day=1, hour=8, minute=0, second=0, microsecond=0)
    operator = context.users["operator"]

    def line(days: float, product: str, kind: str, quantity: Any, **values: Any) -> None:
        at = min(day + dt.timedelta(days=days), context.now)
        magazine.record_entry(actor=operator, magazine=site, product=product, kind=kind,
                              quantity=quantity, occurred_at=at, is_synthetic=True, **values)  # fmt: skip

    line(0, "detonator", "receipt", 1200, guia_remision="EG07-00031245")
    line(0, "emulsion", "receipt", 5000, guia_remision="EG07-00031246")
    line(0, "booster", "receipt", 400, guia_remision="EG07-00031247")
    for n, (blast, detonators, used, back) in enumerate((("VOL-LB-0411", 180, 172, 8),
                                                        ("VOL-LB-0412", 240, 214, 20))):  # fmt: skip
        person = ("Ing. Carla Huamán (demo)", "Ing. Jorge Apaza (demo)")[n]
        line(1 + n, "detonator", "issue", detonators, blast_id=blast, authorised_person=person)
        line(1 + n, "emulsion", "issue", 900, blast_id=blast, authorised_person=person)
        line(1.3 + n, "emulsion", "return", 60, blast_id=blast)
        line(1.3 + n, "emulsion", "consumption", 840, blast_id=blast)
        line(1.3 + n, "detonator", "return", back, blast_id=blast)
        line(1.3 + n, "detonator", "consumption", used, blast_id=blast)  # 0412: 6 missing
    line(3, "booster", "count", 400)
    return site.name


def load(context: Any) -> None:
    """Contractors, trucks, weighbridges, 60 days of lots with their tickets and the planted cases."""
    rng = np.random.default_rng(WEIGHING_SEED)
    trucks = _trucks(context, _contractors(context))
    bridges = _bridges(context)
    start = context.now - dt.timedelta(days=DAYS)
    lots = 0
    seal_lot = None
    for index, (plate, _contractor) in enumerate(TRUCKS):
        for trip in range(DAYS // TRIP_EVERY_DAYS):
            at = start + dt.timedelta(days=trip * TRIP_EVERY_DAYS, hours=6 + 2 * index)
            lot = _lot(context, f"LB-MAT-{plate[-3:]}-{trip + 1:03d}", trucks[plate],
                       DRIVERS[index], at)  # fmt: skip
            planted = plate == SLOW_LOSS_TRUCK and trip + 1 >= SLOW_LOSS_FROM_TRIP
            _weigh_lot(context, lot, bridges, rng, SLOW_LOSS_PCT if planted else 0.0)
            lots += 1
            if plate == "CAS-202" and trip == 14:
                seal_lot = lot
    _history_lot(context, bridges, rng)
    if seal_lot is not None:
        _broken_seal(context, seal_lot)
    magazine_name = _magazine(context)
    context.summary.append(
        f"{lots} concentrate lots Las Bambas → Matarani with {4 * lots} weighbridge tickets "
        f"(synthetic); truck {SLOW_LOSS_TRUCK} loses {SLOW_LOSS_PCT} % a trip, one broken seal"
    )
    context.summary.append(f"explosives ledger of {magazine_name}: 6 detonators unaccounted for")
