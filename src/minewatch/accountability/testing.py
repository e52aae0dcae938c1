"""Accountability records for both companies of the test world (see minewatch.testing.world)."""

from __future__ import annotations

from typing import Any

from minewatch.accountability.services import agreements, contractors, grievances, use_of_force

# Valid RUCs (check digit per SUNAT, python-stdnum) for the test world's two contractors.
RUC_PSC = "20500000008"
RUC_PSC2 = "20500000016"


def make_grievance(actor: Any, **values: Any) -> Any:
    """A grievance filed by ``actor`` (liaison or manager) after a community meeting."""
    defaults: dict[str, Any] = {
        "channel": "meeting",
        "category": "security_conduct",
        "description": "Un vigilante insultó a comuneros en el camino a la laguna.",
        "place_name": "Camino a la laguna Huascacocha",
        "complainant_name": "Rosa Quispe",
        "complainant_contact": "+51 900 000 111",
    }
    defaults.update(values)
    return grievances.file_grievance(actor=actor, **defaults)


def make_force_report(actor: Any, site: Any, **values: Any) -> Any:
    """Verbal commands at the site's gate an hour ago (filed in time, no review needed)."""
    import datetime as dt

    from django.utils import timezone

    defaults: dict[str, Any] = {
        "occurred_at": timezone.now() - dt.timedelta(hours=1), "place": f"Garita de {site.name}",
        "site": site, "personnel": "Vigilante de garita", "subjects": "Conductor sin pase",
        "force_level": "verbal_commands", "warning_given": True,
    }  # fmt: skip
    defaults.update(values)
    return use_of_force.file_use_of_force_report(actor=actor, **defaults)


def extend_world(world: Any) -> None:
    """Company A: a grievance and a use-of-force report about its contractor's guard;
    company B: an anonymous grievance and its own report."""
    world.extra["grievance_a"] = make_grievance(
        world.users["liaison"], contractor=world.orgs["psc"], personnel="Vigilante turno noche"
    )
    world.extra["grievance_b"] = make_grievance(
        world.users["b-manager"], category="land_water", complainant_name="",
        complainant_contact="", description="Polvo de la vía sobre los pastos.",
    )  # fmt: skip
    world.extra["force_a"] = make_force_report(
        world.users["operator"], world.sites["a1"], contractor=world.orgs["psc"]
    )
    world.extra["force_b"] = make_force_report(world.users["b-manager"], world.sites["b1"])
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    for key, user_key, company, ruc in (("a", "security_manager", "psc", RUC_PSC),
                                        ("b", "b-manager", "psc2", RUC_PSC2)):  # fmt: skip
        actor = world.users[user_key]
        world.extra[f"contractor_{key}"] = contractors.save_contractor(
            actor=actor, company=world.orgs[company], ruc=ruc,
            sucamec_authorisation=f"RD-{key.upper()}-0001-2025-SUCAMEC",
            sucamec_expires_on=today + dt.timedelta(days=365),
            modalities=["vigilancia_privada", "proteccion_personal"], icoca_status="member",
        )  # fmt: skip
        agreement = agreements.save_agreement(
            actor=actor, reference=f"CONV-{key.upper()}-2026", force="pnp",
            counterpart="Comisaría PNP de la zona", legal_basis="D.Leg. 1267, art. 6",
            scope="Patrullaje del acceso a la mina", starts_on=today - dt.timedelta(days=30),
            human_rights_clauses="Principios Voluntarios; D.Leg. 1186 (uso de la fuerza)",
            incidents=[world.incidents[f"{key}1"]],
        )  # fmt: skip
        agreements.record_support(agreement, actor=actor, kind="fuel",
                                  description="Combustible para patrullero", value_pen="850.00",
                                  given_on=today)  # fmt: skip
        world.extra[f"agreement_{key}"] = agreement
