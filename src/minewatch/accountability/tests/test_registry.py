"""Contractor registry (RUC, SUCAMEC, ICoCA), assignments checked against the law, agreements."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.accountability.models import Contractor, InKindSupport, PublicSecurityAgreement
from minewatch.accountability.services import agreements, contractors
from minewatch.accountability.testing import RUC_PSC2
from minewatch.alerts.models import Alert
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.geo.models import SiteAssignment

pytestmark = pytest.mark.django_db


def register(world, **values):
    base = {"company": world.orgs["psc2"], "ruc": RUC_PSC2, "sucamec_authorisation": "RD-77",
            "sucamec_expires_on": timezone.localdate() + dt.timedelta(days=30),
            "modalities": ["vigilancia_privada"], "icoca_status": "certified_member",
            "icoca_since": dt.date(2024, 5, 1)}  # fmt: skip
    base.update(values)
    return contractors.save_contractor(actor=world.users["security_manager"], **base)


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"ruc": "20500000011"}, "ruc", "check digit"),
        ({"ruc": "2050000001"}, "ruc", "invalid length"),
        ({"modalities": ["crowd_control"]}, "modalities", "Constitución"),
        ({"modalities": ["mercenary"]}, "modalities", "D.Leg. 1213"),
        ({"modalities": []}, "modalities", ""),
        ({"icoca_status": "gold"}, "icoca_status", ""),
        ({"company": None}, "company", ""),
        ({"company": 10**9}, "company", ""),
        ({"sucamec_expires_on": None}, "sucamec_expires_on", ""),
        ({"contract_starts_on": dt.date(2026, 5, 1), "contract_ends_on": dt.date(2026, 1, 1)},
         "contract_ends_on", ""),
    ],
)  # fmt: skip
def test_bad_registry_values_name_the_field(world, values, field, words) -> None:
    before = Contractor.objects.count()
    with pytest.raises(InvalidInput) as error:
        register(world, **values)
    assert error.value.field == field
    assert words.lower() in error.value.message.lower() or not words
    assert Contractor.objects.count() == before


def test_only_managers_keep_the_registry(world) -> None:
    with pytest.raises(NotAllowed):
        contractors.save_contractor(actor=world.users["operator"], company=world.orgs["psc2"],
                                    ruc=RUC_PSC2, sucamec_authorisation="x",
                                    sucamec_expires_on=dt.date(2030, 1, 1),
                                    modalities=["vigilancia_privada"])  # fmt: skip


def test_assignment_takes_its_service_from_the_authorised_modalities(world) -> None:
    record = register(world)
    manager = world.users["security_manager"]
    assignment = contractors.assign_contractor_to_site(
        actor=manager, contractor=record, site=world.sites["a2"], modality="vigilancia_privada"
    )
    assert (assignment.modality, assignment.service) == ("vigilancia_privada", "Vigilancia privada")
    with pytest.raises(InvalidInput) as error:
        contractors.assign_contractor_to_site(actor=manager, contractor=record,
                                              site=world.sites["a1"], modality="proteccion_personal")  # fmt: skip
    assert error.value.field == "modality" and "D.Leg. 1213" in error.value.message
    with pytest.raises(InvalidInput) as error:
        contractors.assign_contractor_to_site(actor=manager, contractor=record,
                                              site=world.sites["a1"], modality="crowd_control")  # fmt: skip
    assert error.value.field == "modality" and "166" in error.value.message
    with pytest.raises(InvalidInput) as error:
        contractors.assign_contractor_to_site(actor=manager, contractor=record,
                                              site=world.sites["b1"], modality="vigilancia_privada")  # fmt: skip
    assert error.value.field == "site"


def test_expired_authorisation_blocks_new_assignments_and_alerts_once(world) -> None:
    record = register(world, sucamec_expires_on=timezone.localdate() - dt.timedelta(days=1))
    manager = world.users["security_manager"]
    for _attempt in range(2):
        with pytest.raises(InvalidInput) as error:
            contractors.assign_contractor_to_site(actor=manager, contractor=record,
                                                  site=world.sites["a2"],
                                                  modality="vigilancia_privada")  # fmt: skip
        assert error.value.field == "contractor" and "D.Leg. 1213" in error.value.message
    assert not SiteAssignment.objects.filter(contractor=world.orgs["psc2"]).exists()
    alerts = Alert.objects.filter(kind="accountability.authorisation_expired")
    assert alerts.count() == 1
    assert contractors.check_expired_authorisations() == 0  # already told
    renewed = contractors.save_contractor(actor=manager, contractor=record,
                                          sucamec_expires_on=timezone.localdate() + dt.timedelta(days=365))  # fmt: skip
    assert renewed.expiry_alerted_for is None
    contractors.assign_contractor_to_site(actor=manager, contractor=renewed,
                                          site=world.sites["a2"], modality="vigilancia_privada")  # fmt: skip


def test_periodic_check_alerts_an_expired_authorisation(world) -> None:
    register(world, sucamec_expires_on=timezone.localdate() - dt.timedelta(days=3))
    assert contractors.check_expired_authorisations() == 1
    assert contractors.check_expired_authorisations() == 0


def test_track_record_counts_what_minewatch_knows(world) -> None:
    record = world.extra["contractor_a"]
    track = contractors.track_record(record)
    assert track["sites"] == 1 and track["incidents_on_its_sites"] >= 1
    assert track["use_of_force_reports"] == 1 and track["grievances"] == 1
    assert track["vetting"] is None


def test_agreement_with_support_in_kind(world) -> None:
    agreement = world.extra["agreement_a"]
    assert agreement.incidents.count() == 1
    manager = world.users["security_manager"]
    support = agreements.record_support(agreement, actor=manager, kind="lodging",
                                        description="Alojamiento de 6 efectivos",
                                        value_pen="1200.50", given_on=dt.date(2026, 11, 2))  # fmt: skip
    assert str(support.value_pen) == "1200.50"
    for kwargs, field in (({"kind": "cash"}, "kind"), ({"value_pen": "-3"}, "value_pen"),
                          ({"value_pen": "mucho"}, "value_pen"), ({"given_on": "ayer"}, "given_on")):  # fmt: skip
        values = {"kind": "fuel", "description": "x", "value_pen": "1", "given_on": dt.date.today()}
        values.update(kwargs)
        with pytest.raises(InvalidInput) as error:
            agreements.record_support(agreement, actor=manager, **values)
        assert error.value.field == field
    with pytest.raises(InvalidInput) as error:
        agreements.record_support(agreement, actor=world.users["b-manager"], kind="fuel",
                                  description="x", value_pen="1", given_on=dt.date.today())  # fmt: skip
    assert error.value.field == "agreement"
    with pytest.raises(InvalidInput) as error:
        agreements.save_agreement(actor=manager, reference="X", force="navy", counterpart="c",
                                  legal_basis="l", scope="s", starts_on=dt.date.today(),
                                  human_rights_clauses="h")  # fmt: skip
    assert error.value.field == "force"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        support.delete()
    with pytest.raises(PermissionDenied):
        PublicSecurityAgreement.objects.all().delete()
    assert InKindSupport.objects.filter(agreement=agreement).count() == 2


def test_api_registry_assign_and_agreements(world, api_client) -> None:
    manager = api_client(world.users["security_manager"])
    bad = manager.post("/api/v1/contractors/", {
        "company": world.orgs["psc2"].pk, "ruc": "20500000011", "sucamec_authorisation": "RD",
        "sucamec_expires_on": "2030-01-01", "modalities": ["vigilancia_privada"]}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "ruc" in bad.json()
    made = manager.post("/api/v1/contractors/", {
        "company": world.orgs["psc2"].pk, "ruc": RUC_PSC2, "sucamec_authorisation": "RD",
        "sucamec_expires_on": "2030-01-01", "modalities": ["tecnologia_seguridad"],
        "icoca_status": "affiliate"}, format="json")  # fmt: skip
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    refused = manager.post(f"/api/v1/contractors/{pk}/assign/",
                           {"site": world.sites["a2"].pk, "modality": "vigilancia_privada"},
                           format="json")  # fmt: skip
    assert refused.status_code == 400 and "modality" in refused.json()
    assert "D.Leg. 1213" in refused.json()["modality"][0]
    done = manager.post(f"/api/v1/contractors/{pk}/assign/",
                        {"site": world.sites["a2"].pk, "modality": "tecnologia_seguridad"},
                        format="json")  # fmt: skip
    assert done.status_code == 201 and done.json()["modality"] == "tecnologia_seguridad"
    detail = manager.get(f"/api/v1/contractors/{pk}/").json()
    assert detail["track_record"]["sites"] == 1
    # the contractor reads its own entry; the other company does not see it
    assert (
        api_client(world.users["psc2-operator"]).get(f"/api/v1/contractors/{pk}/").status_code
        == 200
    )
    assert api_client(world.users["b-manager"]).get(f"/api/v1/contractors/{pk}/").status_code == 404
    assert api_client(world.users["operator"]).post(f"/api/v1/contractors/{pk}/assign/",
                                                    {}).status_code == 403  # fmt: skip
    listing = api_client(world.users["auditor"]).get("/api/v1/security-agreements/").json()
    agreement = listing["results"][0]
    assert agreement["support_total_pen"] == "850.00" and agreement["incidents"]
    support = manager.post(f"/api/v1/security-agreements/{agreement['id']}/support/",
                           {"kind": "food", "description": "Raciones", "value_pen": "300",
                            "given_on": "2026-11-20"}, format="json")  # fmt: skip
    assert support.status_code == 201
    legal = manager.get("/api/v1/security-services/").json()
    assert {p["code"] for p in legal["prohibited"]} >= {"crowd_control", "combat_operations"}


def test_web_registry_and_agreement_pages(world, client) -> None:
    client.force_login(world.users["security_manager"])
    record = world.extra["contractor_a"]
    page = client.get(f"/accountability/contractors/{record.pk}/")
    assert page.status_code == 200 and "RD-A-0001-2025-SUCAMEC" in page.content.decode()
    refused = client.post(f"/accountability/contractors/{record.pk}/assign/",
                          {"site": world.sites["a2"].pk, "modality": "intelligence_on_people"})  # fmt: skip
    assert refused.status_code == 400 and "1141" in refused.content.decode()
    assert client.get("/accountability/contractors/").status_code == 200
    assert client.get("/accountability/contractors/new/").status_code == 200
    agreement = world.extra["agreement_a"]
    page = client.get(f"/accountability/agreements/{agreement.pk}/")
    assert page.status_code == 200 and "850" in page.content.decode()
    assert client.get("/accountability/agreements/").status_code == 200
    made = client.post("/accountability/agreements/new/", {
        "reference": "CONV-FFAA-1", "force": "ffaa", "counterpart": "Brigada",
        "legal_basis": "D.Leg. 1095", "scope": "Apoyo en estado de emergencia",
        "starts_on": "2026-10-01", "human_rights_clauses": "DIH y DIDH"})  # fmt: skip
    assert made.status_code == 302
