"""Synthetic accountability records for ``minewatch demo`` (all labelled synthetic).

Company 1 registers both contractors (PSC 1 authorised for two years and an ICoCA
certified member; PSC 2's SUCAMEC authorisation expiring in three weeks), files three
use-of-force reports (one firearm discharge under review), has grievances at every
stage of the workflow (one past its acknowledgement deadline, alerted) and an
agreement with the police with its support in kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.accountability.services import agreements, contractors, grievances
from minewatch.accountability.services import use_of_force as force

SYNTHETIC = "(sintético)"
# RUCs with a valid SUNAT check digit (python-stdnum), invented for the demo companies.
DEMO_RUCS = {"psc_1": "20500000008", "psc_2": "20500000016"}


def _registry(context: Any, today: dt.date) -> dict[str, Any]:
    from minewatch.core.demo import PSC_1, PSC_2

    manager = context.users["manager"]
    first = contractors.save_contractor(
        actor=manager, company=context.organisations[PSC_1], ruc=DEMO_RUCS["psc_1"],
        sucamec_authorisation="RD N.° 0123-2025-SUCAMEC-GSSP (ficticia)",
        sucamec_expires_on=today + dt.timedelta(days=700),
        modalities=["vigilancia_privada", "proteccion_personal",
                    "transporte_custodia_dinero_valores", "tecnologia_seguridad"],
        icoca_status="certified_member", icoca_since=dt.date(2023, 6, 1),
        insurer="Aseguradora Andina (ficticia)", insurance_policy="RC-2026-0045",
        insurance_expires_on=today + dt.timedelta(days=200),
        contract_starts_on=dt.date(2025, 1, 1), contract_ends_on=dt.date(2027, 12, 31),
        notes=f"Contratista de demostración {SYNTHETIC}", is_synthetic=True,
    )  # fmt: skip
    second = contractors.save_contractor(
        actor=manager, company=context.organisations[PSC_2], ruc=DEMO_RUCS["psc_2"],
        sucamec_authorisation="RD N.° 0456-2021-SUCAMEC-GSSP (ficticia)",
        sucamec_expires_on=today + dt.timedelta(days=21), modalities=["vigilancia_privada"],
        icoca_status="affiliate", icoca_since=dt.date(2025, 3, 15),
        insurer="Seguros del Norte (ficticia)", insurance_policy="RC-2025-0912",
        notes=f"Autorización por vencer {SYNTHETIC}", is_synthetic=True,
    )  # fmt: skip
    # The registry's rule applied for real: PSC 1 guards Constancia under its authorisation.
    contractors.assign_contractor_to_site(
        actor=manager, contractor=first, site=context.sites["constancia"],
        modality="vigilancia_privada", starts_on=dt.date(2025, 1, 1),
    )  # fmt: skip
    return {"psc_1": first, "psc_2": second}


def _force_reports(context: Any, registry: dict[str, Any]) -> list[Any]:
    site = context.sites["las_bambas"]
    now, operator, manager = context.now, context.users["operator"], context.users["manager"]
    psc = registry["psc_1"].company
    common = {"site": site, "contractor": psc, "is_synthetic": True}
    verbal_at = now - dt.timedelta(days=12, hours=3)
    verbal = force.file_use_of_force_report(
        actor=operator, now=verbal_at + dt.timedelta(hours=5), occurred_at=verbal_at,
        place="Tranquera km 4, acceso a Las Bambas", force_level="verbal_commands",
        personnel=f"Supervisor de garita, turno día {SYNTHETIC}",
        subjects="Grupo de 8 personas que intentaba ingresar sin pase",
        warning_given=True, warning_details="Alto, zona de operación minera",
        witnesses="Dos vigilantes; chofer de cisterna", **common,
    )  # fmt: skip
    force.review_use_of_force(verbal, actor=manager, finding="within_policy",
                              actions="Ninguna; registrar en la reunión mensual",
                              now=verbal_at + dt.timedelta(days=1))  # fmt: skip
    restraint_at = now - dt.timedelta(days=4, hours=6)
    force.file_use_of_force_report(
        actor=operator, now=restraint_at + dt.timedelta(hours=8), occurred_at=restraint_at,
        place="Almacén de concentrado", force_level="physical_restraint",
        justification="preventing_serious_crime",
        justification_details="Persona sorprendida retirando sacos; retenida hasta la llegada de la PNP",
        personnel=f"Dos vigilantes de ronda {SYNTHETIC}", subjects="Un hombre adulto",
        warning_given=True, police_informed=True,
        police_informed_at=restraint_at + dt.timedelta(minutes=20),
        police_unit="Comisaría de Challhuahuacho", **common,
    )  # fmt: skip
    shot_at = now - dt.timedelta(days=1, hours=20)
    shot = force.file_use_of_force_report(
        actor=operator, now=shot_at + dt.timedelta(hours=6), occurred_at=shot_at,
        place="Perímetro norte, cerco del depósito de explosivos",
        force_level="firearm_discharged", justification="defence_of_others",
        justification_details="Asaltantes armados dispararon contra la garita; respuesta con "
        "escopeta de perdigones de goma",
        personnel=f"Vigilante armado de la garita 3 {SYNTHETIC}",
        subjects="Cuatro asaltantes con armas de fuego", warning_given=True,
        warning_details="Voz de alto y disparo al aire", rounds_fired=3,
        weapon="Escopeta Mossberg 500, serie MW-DEMO-0003",
        injuries_subjects="Un asaltante con herida leve en la pierna (perdigón de goma)",
        medical_aid_given=True, medical_aid_at=shot_at + dt.timedelta(minutes=35),
        medical_aid_details="Primeros auxilios en tópico; traslado al centro de salud",
        witnesses="Operador de CCTV; supervisor de turno", police_informed=True,
        police_informed_at=shot_at + dt.timedelta(minutes=10),
        police_unit="Comisaría de Challhuahuacho", **common,
    )  # fmt: skip
    return [verbal, shot]


def _grievances(context: Any, registry: dict[str, Any]) -> int:
    from minewatch.core.demo import COMPANY_1

    now, liaison, manager = context.now, context.users["liaison"], context.users["manager"]
    company = context.organisations[COMPANY_1]

    def public(days: float, category: str, text: str, place: str, **values: Any) -> Any:
        return grievances.submit_public_grievance(
            organisation=company, category=category, description=f"{text} {SYNTHETIC}",
            place_name=place, now=now - dt.timedelta(days=days), is_synthetic=True, **values,
        )  # fmt: skip

    public(1, "road_block", "La tranquera del km 4 no deja pasar a los comuneros con sus animales.",
           "Comunidad de Pamputa")  # fmt: skip
    # Past its acknowledgement deadline (five working days): the manager is alerted.
    public(15, "land_water", "El agua del manante bajó desde que empezaron las voladuras.",
           "Manante Ccollpa", occurred_when="desde hace dos meses")  # fmt: skip
    acknowledged = public(6, "property_damage", "Un volquete rompió el cerco de piedra.",
                          "Sector Chuicuni", complainant_name="Vecino (ficticio)",
                          complainant_contact="+51 900 000 321")  # fmt: skip
    grievances.acknowledge_grievance(acknowledged, actor=liaison, now=now - dt.timedelta(days=5))
    review = grievances.file_grievance(
        actor=liaison, channel="meeting", category="security_conduct",
        description=f"Un vigilante trató mal a una señora en la garita {SYNTHETIC}",
        place_name="Garita principal", contractor=registry["psc_1"].company,
        personnel="Vigilante de garita, turno noche", non_retaliation_noted=True,
        complainant_name="Comunera (ficticia)", received_at=now - dt.timedelta(days=9),
        now=now, is_synthetic=True,
    )  # fmt: skip
    grievances.acknowledge_grievance(review, actor=liaison, now=now - dt.timedelta(days=8))
    grievances.assign_grievance(review, actor=liaison, assignee=manager,
                                now=now - dt.timedelta(days=7))  # fmt: skip
    answered = public(30, "discrimination", "No contratan a gente de la comunidad.",
                      "Challhuahuacho")  # fmt: skip
    for step, days in (("ack", 29), ("assign", 27), ("respond", 20)):
        at = now - dt.timedelta(days=days)
        if step == "ack":
            answered = grievances.acknowledge_grievance(answered, actor=liaison, now=at)
        elif step == "assign":
            answered = grievances.assign_grievance(
                answered, actor=liaison, assignee=liaison, now=at
            )
        else:
            answered = grievances.respond_to_grievance(
                answered, actor=liaison, now=at, outcome="partly_upheld",
                response="Se abrió una convocatoria local para 20 puestos.",
                remedy="Cuota de contratación local y mesa de trabajo mensual",
            )  # fmt: skip
    closed = public(45, "road_block", "Cierre del camino durante la voladura sin aviso.",
                    "Camino a Ccapacmarca")  # fmt: skip
    closed = grievances.acknowledge_grievance(
        closed, actor=liaison, now=now - dt.timedelta(days=44)
    )
    closed = grievances.assign_grievance(closed, actor=liaison, assignee=liaison,
                                         now=now - dt.timedelta(days=43))  # fmt: skip
    closed = grievances.respond_to_grievance(closed, actor=liaison, outcome="upheld",
                                             response="Se avisará por radio 24 h antes.",
                                             now=now - dt.timedelta(days=40))  # fmt: skip
    closed = grievances.close_grievance(closed, actor=liaison, now=now - dt.timedelta(days=38))
    appealed = public(60, "use_of_force", "Empujaron a mi hijo en la protesta.",
                      "Puente Ccoyo", complainant_name="Madre (ficticia)")  # fmt: skip
    appealed = grievances.acknowledge_grievance(appealed, actor=liaison,
                                                now=now - dt.timedelta(days=59))  # fmt: skip
    appealed = grievances.assign_grievance(appealed, actor=liaison, assignee=manager,
                                           now=now - dt.timedelta(days=58))  # fmt: skip
    appealed = grievances.respond_to_grievance(appealed, actor=manager, outcome="not_upheld",
                                               response="Las cámaras no muestran contacto.",
                                               now=now - dt.timedelta(days=45))  # fmt: skip
    grievances.appeal_grievance(appealed, actor=liaison, now=now - dt.timedelta(days=3),
                                reason="La familia presenta dos testigos.")  # fmt: skip
    grievances.check_grievance_deadlines(now)
    return 7


def _agreement(context: Any, today: dt.date) -> Any:
    from minewatch.incidents.models import Incident

    manager = context.users["manager"]
    site = context.sites["las_bambas"]
    acted = list(Incident.objects.filter(site=site, incident_type="road_blockade")
                 .order_by("-occurred_at")[:2])  # fmt: skip
    agreement = agreements.save_agreement(
        actor=manager, reference="CONV-PNP-APU-2026-01 (ficticio)", force="pnp",
        counterpart="Región Policial Apurímac — Comisaría de Challhuahuacho",
        legal_basis="D.Leg. 1267 (Ley de la PNP) y su reglamento: servicios policiales "
        "extraordinarios; convenio sintético para la demostración",
        scope="Patrullaje del corredor minero y presencia policial en la tranquera km 4",
        starts_on=today - dt.timedelta(days=120), ends_on=today + dt.timedelta(days=245),
        human_rights_clauses="Principios Voluntarios de Seguridad y Derechos Humanos; uso de "
        "la fuerza según D.Leg. 1186; capacitación anual en derechos humanos; denuncia de "
        "abusos al Ministerio Público",
        units_deployed="1 patrullero, 6 efectivos por turno",
        sites=[site], incidents=acted, is_synthetic=True,
    )  # fmt: skip
    for kind, description, value, days in (
        ("fuel", "Combustible para el patrullero (400 galones)", "6200.00", 90),
        ("food", "Raciones para 6 efectivos, un mes", "4500.00", 60),
        ("lodging", "Alojamiento en el campamento, un mes", "3000.00", 60),
        ("fuel", "Combustible para el patrullero (300 galones)", "4650.00", 20),
    ):  # fmt: skip
        agreements.record_support(agreement, actor=manager, kind=kind, description=description,
                                  value_pen=value, given_on=today - dt.timedelta(days=days))  # fmt: skip
    return agreement


def load(context: Any) -> None:
    """The contractor registry, use-of-force reports, grievances and a police agreement."""
    today = timezone.localdate(context.now)
    registry = _registry(context, today)
    reports = _force_reports(context, registry)
    count = _grievances(context, registry)
    _agreement(context, today)
    context.summary.append(
        f"2 registered contractors (one SUCAMEC authorisation expiring), {len(reports) + 1} "
        f"use-of-force reports (one firearm discharge under review), {count} grievances, "
        "1 police agreement with support in kind (synthetic)"
    )
