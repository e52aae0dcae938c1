"""The complaint dossier (denuncia) of an incident: Spanish PDF, ZIP with files and manifest.

Building it appends an 'exported' entry to every item's custody log, inside the
same transaction, so a failed build leaves no trace and a delivered dossier
always has one. The manifest records each item's custody head after that entry,
which anchors the chain outside MineWatch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone

from minewatch.core import audit, ledger
from minewatch.core.choices import AuditAction
from minewatch.core.engine import ledger as ledger_engine
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.evidence.choices import CustodyAction
from minewatch.evidence.engine.custody import summarise_custody
from minewatch.evidence.engine.dossier import (
    MANIFEST_NAME,
    DossierFile,
    DossierItem,
    DossierProblem,
    EvidenceHashMismatchError,
    OrganisationContact,
    build_dossier_zip,
    render_dossier_pdf,
    verify_dossier,
)
from minewatch.evidence.engine.store import BlobNotFoundError
from minewatch.evidence.facts import incident_facts, peru_outline
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.services import actor_label, append_custody
from minewatch.evidence.storage import get_store
from minewatch.incidents.models import Incident


@dataclass(frozen=True)
class DossierResult:
    """What was built: the PDF bytes, the manifest (None for the PDF alone), the items."""

    pdf_bytes: bytes
    manifest: dict[str, Any] | None
    item_ids: list[int]


def _check_access(incident: Incident, actor: Any) -> list[EvidenceItem]:
    if actor is not None:
        if not has_capability(actor, "manage_incident"):
            raise NotAllowed("your role cannot build a complaint dossier", field="role")
        if not restrict(Incident.objects.filter(pk=incident.pk), actor).exists():
            raise InvalidInput(f"unknown incident {incident.pk!r}", field="incident")
    items = EvidenceItem.objects.filter(incident=incident).order_by("collected_at", "pk")
    return list(restrict(items, actor) if actor is not None else items)


def _contact(incident: Incident, actor: Any) -> OrganisationContact:
    org = incident.organisation
    person = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        person = actor.get_full_name() or actor.username
        if getattr(actor, "email", ""):
            person += f" <{actor.email}>"
    return OrganisationContact(
        name=org.name, contact_person=person, phone=org.contact_phone, email=org.contact_email,
        address=org.address, tax_id=org.tax_id,
    )  # fmt: skip


def _dossier_items(items: list[EvidenceItem]) -> list[DossierItem]:
    rows: dict[int, list[CustodyEntry]] = {item.pk: [] for item in items}
    for row in CustodyEntry.objects.filter(item__in=items).order_by("item_id", "sequence"):
        rows[row.item_id].append(row)
    return [
        DossierItem(
            sha256=item.sha256,
            name=item.original_name or f"evidencia-{item.pk}",
            kind=item.kind,
            size_bytes=item.size_bytes,
            custody_summary=summarise_custody([r.to_engine(item.sha256) for r in rows[item.pk]]),
            captured_at=item.file_captured_at or item.declared_at,
            description=_description(item),
        )  # fmt: skip
        for item in items
    ]


def discrepancy_es(discrepancy: dict[str, Any]) -> str:
    """A stored discrepancy in Spanish, for the dossier."""
    if discrepancy.get("field") == "captured_at":
        minutes = float(discrepancy["difference"]) / 60
        return f"la hora de captura del archivo difiere {minutes:.0f} min de la hora declarada"
    if discrepancy.get("field") == "position":
        metres = float(discrepancy["difference"])
        return f"la posición GPS del archivo está a {metres:,.0f} m del lugar declarado"
    return str(discrepancy.get("message", ""))


def _description(item: EvidenceItem) -> str:
    text = item.description
    if item.discrepancies:
        notes = "; ".join(discrepancy_es(d) for d in item.discrepancies)
        text = f"{text} [Discrepancias entre el archivo y lo declarado: {notes}]".strip()
    if item.legal_hold:
        text += " [Bajo retención legal]"
    return text


def _manifest_facts(incident: Incident, items: list[EvidenceItem]) -> dict[str, Any]:
    facts = incident_facts(incident)
    facts["evidence"] = [
        {"id": item.pk, "sha256": item.sha256, "kind": item.kind, "size_bytes": item.size_bytes,
         "original_name": item.original_name, "custody_head_hash": item.custody_head_hash,
         "custody_length": item.custody_length}
        for item in items
    ]  # fmt: skip
    return facts


def _record_export(
    incident: Incident, items: list[EvidenceItem], actor: Any, actor_name: str, what: str
) -> None:
    reason = f"{what} del incidente {incident.reference}"
    for item in items:
        append_custody(
            item, action=CustodyAction.EXPORTED, actor=actor, actor_name=actor_name, reason=reason
        )
    audit.record(actor=actor, action=AuditAction.ACCESS, instance=incident, note=reason,
                 organisation_id=incident.organisation_id)  # fmt: skip


def _render(incident: Incident, items: list[EvidenceItem], actor: Any, now: dt.datetime) -> bytes:
    return render_dossier_pdf(
        incident_facts(incident), _dossier_items(items), _contact(incident, actor),
        outline=peru_outline(), generated_at=now,
    )  # fmt: skip


def build_dossier_pdf(
    incident: Incident, *, actor: Any, actor_name: str | None = None, now: dt.datetime | None = None
) -> DossierResult:
    """Only the Spanish PDF (facts, evidence hashes, custody summaries, contact)."""
    items = _check_access(incident, actor)
    now = now or timezone.now()
    with transaction.atomic():
        _record_export(incident, items, actor, actor_name or actor_label(actor), "dossier PDF")
        pdf = _render(incident, items, actor, now)
    return DossierResult(pdf, None, [item.pk for item in items])


def build_dossier(
    incident: Incident, *, actor: Any, target: str | os.PathLike[str] | BinaryIO,
    actor_name: str | None = None, now: dt.datetime | None = None,
) -> DossierResult:  # fmt: skip
    """Write the dossier ZIP (PDF, evidence files, manifest.json) to ``target``.

    A stored file that is missing or no longer matches its hash stops the build
    (InvalidInput on 'evidence'): a dossier never carries altered evidence.
    """
    items = _check_access(incident, actor)
    now = now or timezone.now()
    store = get_store()
    with transaction.atomic(), ExitStack() as streams:
        _record_export(incident, items, actor, actor_name or actor_label(actor), "dossier ZIP")
        pdf = _render(incident, items, actor, now)
        checkpoint = ledger.write_checkpoint(reason=f"dossier {incident.reference}")
        facts = _manifest_facts(incident, items)
        facts["ledger"] = {"audit_sequence": checkpoint.audit_sequence,
                           "audit_head": checkpoint.audit_head, "checkpoint": checkpoint.pk}  # fmt: skip
        try:
            files = [_dossier_file(store, item, streams) for item in items]
            manifest = build_dossier_zip(
                target, pdf_bytes=pdf, files=files, facts=facts, generated_at=now,
                sign=_sign_manifest,
            )  # fmt: skip
        except (BlobNotFoundError, EvidenceHashMismatchError) as error:
            raise InvalidInput(f"the dossier was not built: {error}", field="evidence") from error
    return DossierResult(pdf, manifest, [item.pk for item in items])


def _sign_manifest(body: dict[str, Any]) -> dict[str, Any]:
    """The manifest's signature block: the police check it with the public key alone."""
    signed = ledger_engine.sign_payload(ledger.signing_key(), body)
    return {"algorithm": "Ed25519", "key_id": signed["key_id"],
            "public_key": ledger.public_key(), "signature": signed["signature"]}  # fmt: skip


def _dossier_file(store: Any, item: EvidenceItem, streams: ExitStack) -> DossierFile:
    name = item.original_name or f"evidencia-{item.pk}.{item.content_label}"
    stream = store.open(item.sha256)
    streams.callback(stream.close)
    return DossierFile(item.sha256, name, stream)


def _anchor_problems(path: str | os.PathLike[str]) -> list[DossierProblem]:
    """Each item the manifest names must still have the custody entry it recorded as head."""
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
    problems = []
    for row in (manifest.get("facts") or {}).get("evidence") or []:
        head, length = row.get("custody_head_hash"), row.get("custody_length")
        found = CustodyEntry.objects.filter(
            item_id=row.get("id"), item__sha256=row.get("sha256"), entry_hash=head,
            sequence=(length or 0) - 1,
        ).exists()  # fmt: skip
        if not found:
            message = (
                f"evidence {row.get('id')} ({str(row.get('sha256'))[:12]}…): the custody entry "
                f"recorded in the dossier ({str(head)[:12]}…, #{length}) is not in the log"
            )
            problems.append(DossierProblem("custody_anchor_missing", None, message))
    return problems


def verify_dossier_file(
    path: str | os.PathLike[str], *, check_records: bool = True, public_key_pem: str | None = None
) -> list[DossierProblem]:
    """Check a dossier ZIP against its manifest and, with ``check_records``, against the database.

    The database check (the hashes recorded at intake, the custody heads recorded in
    the manifest) catches a file swapped together with its manifest row.
    """
    expected = recorded_sha256s() if check_records else None
    problems = verify_dossier(
        path, expected_sha256s=expected, public_key_pem=public_key_pem or ledger.public_key()
    )
    if check_records and not any(p.kind.startswith(("not_a_zip", "manifest")) for p in problems):
        problems += _anchor_problems(path)
    return problems


def recorded_sha256s() -> set[str]:
    """Every evidence hash recorded at intake (all organisations), for ``verify_dossier``."""
    return set(EvidenceItem.objects.values_list("sha256", flat=True))
