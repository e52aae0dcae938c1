"""The complaint dossier built from a real incident: PDF text, ZIP, custody, API, tampering."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from minewatch.core import ledger
from minewatch.core.errors import InvalidInput
from minewatch.evidence import dossiers
from minewatch.evidence.engine.dossier import verify_dossier
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.storage import get_store
from minewatch.evidence.tests.helpers import add_audio, add_photo
from minewatch.incidents import services as incident_services

FACTS = {
    "modus_operandi": "Dos sujetos en motocicleta entregan una nota y exigen pago semanal",
    "assailants_min": 2, "assailants_max": 3, "weapons": ["firearm", "bladed"],
    "vehicles_used": ["motocicleta roja sin placa"], "responders": ["psc", "pnp"],
    "complaint_number": "DEN-2025-4471", "response_notes": "Se alertó a la comisaría de Pataz",
    "location_description": "Garita de control km 12, vía a Vijus",
}  # fmt: skip


@pytest.fixture
def case(world: Any) -> dict[str, Any]:
    """Incident a1 with full facts and three evidence items (message, photo, audio)."""
    incident = incident_services.update_incident(
        world.incidents["a1"], actor=world.users["security_manager"], **FACTS
    )
    items = [world.extra["evidence"]["a1"], add_photo(world), add_audio(world)]
    return {"incident": incident, "items": items, "manager": world.users["security_manager"]}


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_states_the_facts_hashes_and_contact(case: dict[str, Any], tmp_path: Path) -> None:
    result = dossiers.build_dossier(case["incident"], actor=case["manager"],
                                    target=tmp_path / "d.zip")  # fmt: skip
    text = pdf_text(result.pdf_bytes)
    for expected in (
        "Dossier de denuncia",
        case["incident"].reference,
        "Extorsión",
        "Crimen organizado",
        "motocicleta",
        "2 a 3",
        "Arma de fuego",
        "Arma blanca",
        "DEN-2025-4471",
        "Policía Nacional del Perú (PNP)",
        "Garita de control km 12",
        "Org a",
        "exportado",
        "Cadena de custodia",
        "a-security_manager",
    ):
        assert expected in text, expected
    for item in case["items"]:
        assert item.sha256 in text.replace("\n", "")


def test_zip_verifies_and_anchors_every_items_custody(case: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "d.zip"
    result = dossiers.build_dossier(case["incident"], actor=case["manager"], target=target)
    assert dossiers.verify_dossier_file(target) == []
    rows = {row["id"]: row for row in result.manifest["facts"]["evidence"]}
    for item in case["items"]:
        item.refresh_from_db()
        last = CustodyEntry.objects.filter(item=item).last()
        assert last.action == "exported" and case["incident"].reference in last.reason
        assert rows[item.pk]["custody_head_hash"] == item.custody_head_hash == last.entry_hash
    names = zipfile.ZipFile(target).namelist()
    assert names[0] == "denuncia.pdf" and "manifest.json" in names
    assert len([n for n in names if n.startswith("evidence/")]) == 3


def test_file_swapped_with_its_manifest_row_is_caught_by_signature_and_records(
    case: dict[str, Any], tmp_path: Path
) -> None:
    original = tmp_path / "d.zip"
    dossiers.build_dossier(case["incident"], actor=case["manager"], target=original)
    assert verify_dossier(original, public_key_pem=ledger.public_key()) == []
    forged = tmp_path / "forged.zip"
    swap_evidence(original, forged, b"\xff\xd8\xff\xe0 foto trucada")
    # Offline, with nothing but the ZIP: the manifest no longer matches its signature.
    assert [p.kind for p in verify_dossier(forged)] == ["signature_invalid"]
    kinds = {p.kind for p in dossiers.verify_dossier_file(forged)}
    assert {"unrecorded_hash", "signature_invalid"} <= kinds


def test_manifest_resigned_with_another_key_fails_with_the_published_key(
    case: dict[str, Any], tmp_path: Path
) -> None:
    from minewatch.core.engine import ledger as engine

    original = tmp_path / "d.zip"
    dossiers.build_dossier(case["incident"], actor=case["manager"], target=original)
    forged = tmp_path / "forged.zip"
    forger = engine.generate_key()

    def resign(manifest: dict[str, Any]) -> None:
        body = {k: v for k, v in manifest.items() if k != "signature"}
        signed = engine.sign_payload(forger, body)
        manifest["signature"] = {"algorithm": "Ed25519", "key_id": signed["key_id"],
                                 "public_key": engine.public_key_pem(forger),
                                 "signature": signed["signature"]}  # fmt: skip

    swap_evidence(original, forged, b"\xff\xd8\xff\xe0 foto trucada", rewrite=resign)
    assert verify_dossier(forged) == []  # consistent with the key it carries
    published = ledger.public_key()
    assert [p.kind for p in verify_dossier(forged, public_key_pem=published)] == [
        "signature_invalid"
    ]
    unsigned = tmp_path / "unsigned.zip"
    swap_evidence(original, unsigned, b"x", rewrite=lambda m: m.pop("signature"))
    assert "signature_missing" in {
        p.kind for p in verify_dossier(unsigned, public_key_pem=published)
    }


def swap_evidence(
    source: Path, target: Path, data: bytes, rewrite: Callable[[dict], Any] | None = None
) -> None:
    """Replace the first evidence file and rewrite its manifest row to match (then ``rewrite``)."""
    import hashlib

    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        row = next(r for r in manifest["files"] if r["role"] == "evidence")
        row.update(sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))
        if rewrite is not None:
            rewrite(manifest)
        with zipfile.ZipFile(target, "w") as out:
            for name in archive.namelist():
                if name == row["path"]:
                    out.writestr(name, data)
                elif name == "manifest.json":
                    out.writestr(name, json.dumps(manifest))
                else:
                    out.writestr(name, archive.read(name))


def test_dossier_is_not_built_from_an_altered_file(case: dict[str, Any], tmp_path: Path) -> None:
    photo = case["items"][1]
    path = get_store().path_for(photo.sha256)
    os.chmod(path, 0o600)
    with open(path, "ab") as blob:
        blob.write(b"extra")
    lengths = list(EvidenceItem.objects.order_by("pk").values_list("custody_length", flat=True))
    with pytest.raises(InvalidInput) as error:
        dossiers.build_dossier(case["incident"], actor=case["manager"], target=tmp_path / "d.zip")
    assert error.value.field == "evidence"
    assert list(EvidenceItem.objects.order_by("pk").values_list("custody_length", flat=True)) == (
        lengths
    )


def test_dossier_endpoint_returns_the_zip(
    case: dict[str, Any], api_client: Any, tmp_path: Path
) -> None:
    incident = case["incident"]
    response = api_client(case["manager"]).post(f"/api/v1/incidents/{incident.pk}/dossier")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert incident.reference in response["Content-Disposition"]
    target = tmp_path / "api.zip"
    target.write_bytes(b"".join(response.streaming_content))
    assert dossiers.verify_dossier_file(target) == []


def test_dossier_endpoint_gives_the_pdf_alone(case: dict[str, Any], api_client: Any) -> None:
    incident = case["incident"]
    response = api_client(case["manager"]).post(
        f"/api/v1/incidents/{incident.pk}/dossier?output=pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert incident.reference in pdf_text(response.content)
    assert CustodyEntry.objects.filter(item=case["items"][0]).last().action == "exported"


@pytest.mark.parametrize("user,status", [("b-manager", 404), ("guard", 403), ("auditor", 403)])
def test_dossier_endpoint_refuses_others(
    case: dict[str, Any], world: Any, api_client: Any, user: str, status: int
) -> None:
    response = api_client(world.users[user]).post(
        f"/api/v1/incidents/{case['incident'].pk}/dossier"
    )
    assert response.status_code == status
    assert not CustodyEntry.objects.filter(action="exported").exists()


def test_protocol_steps_of_the_incident_checklist_are_listed(
    case: dict[str, Any], world: Any
) -> None:
    from django.apps import apps

    if not apps.is_installed("minewatch.alerts"):
        pytest.skip("the alerts app (response-protocol checklists) is not installed")
    from minewatch.alerts.services import protocols

    incident, operator = case["incident"], world.users["operator"]
    protocols.seed_protocols(incident.organisation)
    protocol = protocols.protocol_for(incident.organisation_id, incident.incident_type)
    checklist = protocols.attach_protocol(actor=operator, protocol=protocol, incident=incident)
    first = checklist.items.order_by("order").first()
    protocols.tick_protocol_step(first, actor=operator, note="captura guardada")
    steps = dossiers.incident_facts(incident)["protocol_steps"]
    assert len(steps) == checklist.items.count()
    assert steps[0].startswith(first.text_es) and "realizado" in steps[0]
    assert "por a-operator; nota: captura guardada" in steps[0]
    assert "no realizado" in steps[-1]
    text = pdf_text(dossiers.build_dossier_pdf(incident, actor=case["manager"]).pdf_bytes)
    assert "Pasos del protocolo de respuesta" in text and "captura guardada" in text


def test_dossier_of_an_incident_with_a_narrative_longer_than_a_page(
    case: dict[str, Any], api_client: Any
) -> None:
    incident = incident_services.update_incident(
        case["incident"], actor=case["manager"],
        narrative=" ".join(f"hecho{n}" for n in range(900)),  # about 6,000 characters
        modus_operandi="Ingresaron por la garita " * 200,
    )  # fmt: skip
    client = api_client(case["manager"])
    response = client.post(f"/api/v1/incidents/{incident.pk}/dossier?output=pdf")
    assert response.status_code == 200, response.content[:300]
    text = pdf_text(response.content)
    assert "hecho0" in text and "hecho899" in text
    assert client.post(f"/api/v1/incidents/{incident.pk}/dossier").status_code == 200
