"""Every write of the evidence app: intake, custody entries, hand-over, legal hold; and verification.

The custody log of an item only grows through :func:`append_custody`, which links
each new entry to the item's recorded head. A log whose last row no longer matches
that head (a row deleted or rewritten behind our back) is never appended to: the
tampering stays visible until someone looks at it (``minewatch evidence verify``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition, MineWatchError, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.evidence.choices import CustodyAction, CustodyStatus, EvidenceKind
from minewatch.evidence.engine import custody as custody_engine
from minewatch.evidence.engine.metadata import (
    DeclaredFacts,
    FileMetadata,
    ImageTooLargeError,
    compare_with_declared,
    read_file_metadata,
)
from minewatch.evidence.engine.sniff import (
    ContentRefusedError,
    SniffedType,
    check_kind_allowed,
    sniff_file,
)
from minewatch.evidence.engine.store import BlobTooLargeError, StoredBlob
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.storage import get_store, max_upload_bytes
from minewatch.incidents.models import Incident


class CustodyBroken(MineWatchError):
    """The item's custody log no longer matches its recorded head; nothing is appended."""

    status_code = 409


class EvidenceUnavailable(MineWatchError):
    """The stored file is missing or altered; it is not handed out."""

    status_code = 409


def actor_label(actor: Any) -> str:
    """How an actor is named in the custody log: the username, or 'system'."""
    return str(getattr(actor, "username", "") or actor or "system")[:150]


def _require(actor: Any, capability: str, message: str) -> None:
    if actor is not None and not has_capability(actor, capability):
        raise NotAllowed(message, field="role")


# --- custody ------------------------------------------------------------------------------


def _last_entry(item: EvidenceItem) -> CustodyEntry | None:
    """The last row, after checking it is the head the item row recorded."""
    last = CustodyEntry.objects.filter(item=item).order_by("-sequence").first()
    if item.custody_length == 0 and last is None:
        return None
    if (
        last is None
        or last.entry_hash != item.custody_head_hash
        or (last.sequence + 1 != item.custody_length)
    ):
        raise CustodyBroken(
            f"the custody log of evidence {item.pk} does not match its recorded head; "
            "run 'minewatch evidence verify'",
            field="custody",
        )
    return last


def append_custody(
    item: EvidenceItem,
    *,
    action: str,
    actor: Any,
    reason: str = "",
    recipient: custody_engine.Recipient | None = None,
    occurred_at: dt.datetime | None = None,
    actor_name: str | None = None,
) -> CustodyEntry:
    """Append one entry to ``item``'s custody chain and move the item's head to it.

    Call inside ``transaction.atomic()``; the item row is locked so two appends
    cannot fork the chain.
    """
    locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
    last = _last_entry(locked)
    moment = occurred_at or timezone.now()
    if last is not None and moment < last.occurred_at:
        moment = last.occurred_at  # a clock step backwards must not break the order
    try:
        entry = custody_engine.append_entry(
            last.to_engine(locked.sha256) if last else None, item_sha256=locked.sha256,
            action=action, actor=actor_name or actor_label(actor), occurred_at=moment,
            reason=reason, recipient=recipient,
        )  # fmt: skip
    except ValueError as error:
        raise InvalidInput(str(error), field="custody") from error
    row = CustodyEntry.objects.create(
        item=locked, sequence=entry.sequence, action=str(entry.action),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=entry.actor, occurred_at=entry.occurred_at, reason=reason,
        recipient_organisation=recipient.organisation if recipient else "",
        recipient_document_number=recipient.document_number if recipient else "",
        prev_hash=entry.prev_hash, entry_hash=entry.entry_hash,
    )  # fmt: skip
    EvidenceItem.objects.filter(pk=locked.pk).update(
        custody_head_hash=entry.entry_hash, custody_length=entry.sequence + 1
    )
    item.custody_head_hash, item.custody_length = entry.entry_hash, entry.sequence + 1
    # The custody entry's hash also goes into the audit chain, whose head is signed outside
    # the database: a custody entry rewritten or cut off later no longer matches it.
    audit.record(
        actor=actor, action=AuditAction.CUSTODY, instance=row,
        after={"item": locked.pk, "sequence": entry.sequence, "entry_hash": entry.entry_hash},
        note=str(entry.action), organisation_id=locked.organisation_id,
    )  # fmt: skip
    return row


def _publish(item: EvidenceItem, name: str, **extra: Any) -> None:
    payload = {"id": item.pk, "incident": item.incident_id, "kind": item.kind,
               "sha256": item.sha256, **extra}  # fmt: skip
    publish(Event(name, item.organisation_id, payload, site_id=item.incident.site_id))


# --- intake -------------------------------------------------------------------------------


def display_name(name: str | None) -> str:
    """The uploader's file name, for display only: last path part, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:255]


def _resolve_incident(actor: Any, incident: Any) -> Incident:
    incident_id = getattr(incident, "pk", incident)
    queryset = Incident.objects.select_related("site").filter(pk=incident_id)
    found = (restrict(queryset, actor) if actor is not None else queryset).first()
    if found is None:
        raise InvalidInput(f"unknown incident {incident_id!r}", field="incident")
    return found


def _sniffed(file: BinaryIO | None, kind: str, limit_bytes: int) -> SniffedType:
    """Refuse a missing, oversized, empty, archived or mistyped file, naming the field 'file'."""
    if file is None:
        raise InvalidInput("no file was uploaded", field="file")
    size = getattr(file, "size", None)
    if size is not None and size > limit_bytes:
        raise InvalidInput(
            f"the file is {size / 1_048_576:.1f} MB; the upload limit is "
            f"{limit_bytes / 1_048_576:.0f} MB",
            field="file",
        )
    if kind not in EvidenceKind.values:
        raise InvalidInput(f"unknown kind {kind!r}; one of {EvidenceKind.values}", field="kind")
    try:
        file.seek(0)
        return check_kind_allowed(kind, sniff_file(file))
    except ContentRefusedError as error:
        raise InvalidInput(f"file refused: {error}", field="file") from error


def _read_metadata(file: BinaryIO, label: str) -> FileMetadata:
    """The file's metadata; an image with too many pixels is refused before it is decoded."""
    max_pixels = int(settings.TUNABLES["max_image_megapixels"]) * 1_000_000
    try:
        return read_file_metadata(file, label, max_pixels=max_pixels)
    except ImageTooLargeError as error:
        if error.width is None:
            message = _(
                "the image has too many pixels (a possible decompression bomb); "
                "at most %(limit)s megapixels are accepted"
            ) % {"limit": error.max_pixels // 1_000_000}
        else:
            message = _(
                "the image is %(width)s×%(height)s pixels (%(megapixels)s megapixels); "
                "at most %(limit)s megapixels are accepted"
            ) % {"width": error.width, "height": error.height,
                 "megapixels": round(error.width * error.height / 1_000_000, 1),
                 "limit": error.max_pixels // 1_000_000}  # fmt: skip
        raise InvalidInput(message, field="file") from None


def _check_declared(values: dict[str, Any], now: dt.datetime) -> None:
    skew = dt.timedelta(seconds=int(settings.TUNABLES["clock_skew_s"]))
    for name in ("declared_at", "collected_at"):
        moment = values.get(name)
        if moment is None:
            continue
        if not isinstance(moment, dt.datetime) or timezone.is_naive(moment):
            raise InvalidInput("a date and time with time zone is required", field=name)
        if moment > now + skew:
            raise InvalidInput("cannot be in the future", field=name)
    lat, lon = values.get("declared_lat"), values.get("declared_lon")
    if (lat is None) != (lon is None):
        raise InvalidInput("give both latitude and longitude, or neither", field="declared_lat")
    if lat is not None and not -90 <= float(lat) <= 90:
        raise InvalidInput(f"latitude {lat} is outside -90..90 degrees", field="declared_lat")
    if lon is not None and not -180 <= float(lon) <= 180:
        raise InvalidInput(f"longitude {lon} is outside -180..180 degrees", field="declared_lon")


def _json_safe(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _discrepancies(metadata: FileMetadata, values: dict[str, Any]) -> list[dict[str, Any]]:
    declared = DeclaredFacts(
        occurred_at=values.get("declared_at"),
        latitude=values.get("declared_lat"),
        longitude=values.get("declared_lon"),
    )
    found = compare_with_declared(
        metadata, declared,
        max_time_difference_s=float(settings.TUNABLES["evidence_time_tolerance_s"]),
        max_distance_m=float(settings.TUNABLES["evidence_distance_tolerance_m"]),
    )  # fmt: skip
    return [
        {"field": d.field, "declared": _json_safe(d.declared), "observed": _json_safe(d.observed),
         "difference": round(d.difference, 1), "unit": d.unit, "message": d.message}
        for d in found
    ]  # fmt: skip


def _store(file: BinaryIO, limit_bytes: int) -> StoredBlob:
    file.seek(0)
    try:
        return get_store().put_stream(file, max_bytes=limit_bytes)
    except BlobTooLargeError as error:
        raise InvalidInput(str(error), field="file") from error


INTAKE_FIELDS = (
    "description", "declared_at", "declared_lat", "declared_lon", "declared_place",
    "collected_by", "collected_at", "alert_ref", "trip_ref", "is_synthetic",
)  # fmt: skip


def intake_evidence(
    *, actor: Any, incident: Any, file: BinaryIO | None, kind: str,
    original_name: str | None = None, now: dt.datetime | None = None, **values: Any,
) -> EvidenceItem:  # fmt: skip
    """Take in one evidence file: check, sniff, read metadata, store by hash, open its custody log.

    ``values`` are the optional ``INTAKE_FIELDS``. Raises InvalidInput naming the
    field (``file`` for anything wrong with the bytes); nothing is recorded then.
    The log starts with 'collected' (by whom and when the person says) and
    'uploaded' (by the actor, now).
    """
    _require(actor, "manage_evidence", "your role cannot add evidence")
    unknown = set(values) - set(INTAKE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    now = now or timezone.now()
    incident = _resolve_incident(actor, incident)
    limit_bytes = max_upload_bytes()
    sniffed = _sniffed(file, kind, limit_bytes)
    _check_declared(values, now)
    assert file is not None  # _sniffed refused None
    metadata = _read_metadata(file, sniffed.label)
    blob = _store(file, limit_bytes)
    if blob.size_bytes == 0:
        raise InvalidInput("the file is empty", field="file")
    duplicate = EvidenceItem.objects.filter(incident=incident, sha256=blob.sha256).first()
    if duplicate is not None:
        raise InvalidInput(
            f"this file is already evidence item {duplicate.pk} of this incident", field="file"
        )
    with transaction.atomic():
        values["original_name"] = display_name(original_name or getattr(file, "name", ""))
        item = _create_item(actor, incident, kind, blob, sniffed, metadata, values, now)
        _open_custody(item, actor, now)
        audit.record(actor=actor, action=AuditAction.CREATE, instance=item,
                     after=audit.snapshot(item))  # fmt: skip
        _publish(item, "evidence.uploaded")
    return item


def _create_item(
    actor: Any, incident: Incident, kind: str, blob: StoredBlob, sniffed: SniffedType,
    metadata: FileMetadata, values: dict[str, Any], now: dt.datetime,
) -> EvidenceItem:  # fmt: skip
    item = EvidenceItem(
        organisation_id=incident.organisation_id, incident=incident, kind=kind,
        sha256=blob.sha256, size_bytes=blob.size_bytes, content_type=sniffed.mime,
        content_label=sniffed.label, file_captured_at=metadata.captured_at,
        file_time_zone_assumed=metadata.time_zone_assumed, file_lat=metadata.latitude,
        file_lon=metadata.longitude, file_altitude_m=metadata.altitude_m,
        file_duration_s=metadata.duration_s, file_camera=(metadata.camera or "")[:200],
        metadata_error=(metadata.read_error or "")[:300],
        discrepancies=_discrepancies(metadata, values),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{name: value for name, value in values.items() if value is not None},
    )  # fmt: skip
    item.collected_by = (values.get("collected_by") or actor_label(actor))[:150]
    item.collected_at = min(values.get("collected_at") or now, now)
    item.full_clean(exclude=["custody_head_hash"])
    item.save()
    return item


def _open_custody(item: EvidenceItem, actor: Any, now: dt.datetime) -> None:
    place = f" en {item.declared_place}" if item.declared_place else ""
    append_custody(
        item, action=CustodyAction.COLLECTED, actor=actor, actor_name=item.collected_by,
        occurred_at=item.collected_at, reason=f"recolectado{place}",
    )  # fmt: skip
    append_custody(
        item, action=CustodyAction.UPLOADED, actor=actor, occurred_at=now,
        reason=f"{item.content_label}, {item.size_bytes} bytes",
    )  # fmt: skip


# --- access and custody actions -------------------------------------------------------------


def _record_access(item: EvidenceItem, actor: Any, action: str, reason: str) -> CustodyEntry:
    with transaction.atomic():
        entry = append_custody(item, action=action, actor=actor, reason=reason)
        audit.record(actor=actor, action=AuditAction.ACCESS, instance=item, note=action)
    return entry


def record_view(item: EvidenceItem, *, actor: Any, reason: str = "") -> CustodyEntry | None:
    """Log that ``actor`` looked at the item (its page or API detail).

    If the custody log is broken the view is still allowed, so the damage can be
    seen, and it is logged in the audit log instead (returns None).
    """
    try:
        return _record_access(item, actor, CustodyAction.VIEWED, reason)
    except CustodyBroken:
        audit.record(actor=actor, action=AuditAction.ACCESS, instance=item,
                     note="viewed; custody log broken, entry not appended")  # fmt: skip
        return None


def record_download(item: EvidenceItem, *, actor: Any, reason: str = "") -> CustodyEntry:
    """Log that ``actor`` downloaded the item's file (call before streaming it)."""
    return _record_access(item, actor, CustodyAction.DOWNLOADED, reason)


# Files up to this size are rehashed before every download (about 0.1 s at 1 GB/s);
# larger ones rely on 'minewatch evidence verify'.
REHASH_BEFORE_DOWNLOAD_BYTES = 64 * 1024 * 1024


def open_for_download(item: EvidenceItem, *, actor: Any, reason: str = "") -> BinaryIO:
    """Check the stored file, log the download in the custody chain, and open the file.

    A missing or altered file, or a broken custody log, is refused (409): evidence
    is never handed out silently when its integrity is in doubt.
    """
    store = get_store()
    if not store.exists(item.sha256):
        raise EvidenceUnavailable("the stored file is missing; run 'minewatch evidence verify'",
                                  field="file")  # fmt: skip
    if item.size_bytes <= REHASH_BEFORE_DOWNLOAD_BYTES and not store.verify(item.sha256):
        raise EvidenceUnavailable("the stored file no longer matches its SHA-256",
                                  field="file")  # fmt: skip
    record_download(item, actor=actor, reason=reason)
    return store.open(item.sha256)


def _custody_change(
    item: EvidenceItem, *, actor: Any, action: str, reason: str, changes: dict[str, Any],
    recipient: custody_engine.Recipient | None = None,
) -> EvidenceItem:  # fmt: skip
    with transaction.atomic():
        before = audit.snapshot(item)
        append_custody(item, action=action, actor=actor, reason=reason, recipient=recipient)
        for name, value in changes.items():
            setattr(item, name, value)
        item.save(update_fields=list(changes))
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=item, before=before,
                     after=audit.snapshot(item), note=action)  # fmt: skip
        _publish(item, f"evidence.{action}")
    return item


def hand_over(
    item: EvidenceItem, *, actor: Any, recipient_organisation: str, document_number: str,
    reason: str = "",
) -> EvidenceItem:  # fmt: skip
    """Hand the item to a police unit or prosecutor's office, with their document number."""
    _require(actor, "manage_incident", "your role cannot hand evidence over")
    if not (recipient_organisation or "").strip():
        raise InvalidInput("name the police unit or prosecutor's office",
                           field="recipient_organisation")  # fmt: skip
    if not (document_number or "").strip():
        raise InvalidInput("the receiving document number (oficio, acta) is required",
                           field="document_number")  # fmt: skip
    if item.custody_status == CustodyStatus.HANDED_OVER:
        raise InvalidTransition("the item is already handed over; record its return first",
                                field="custody_status")  # fmt: skip
    recipient = custody_engine.Recipient(
        recipient_organisation.strip()[:200], document_number.strip()[:100]
    )
    return _custody_change(
        item, actor=actor, action=CustodyAction.HANDED_OVER, reason=reason, recipient=recipient,
        changes={"custody_status": CustodyStatus.HANDED_OVER},
    )  # fmt: skip


def return_item(item: EvidenceItem, *, actor: Any, reason: str = "") -> EvidenceItem:
    """Record that a handed-over item came back into the organisation's custody."""
    _require(actor, "manage_incident", "your role cannot record a return")
    if item.custody_status != CustodyStatus.HANDED_OVER:
        raise InvalidTransition("the item is not handed over", field="custody_status")
    return _custody_change(
        item, actor=actor, action=CustodyAction.RETURNED, reason=reason,
        changes={"custody_status": CustodyStatus.IN_CUSTODY},
    )  # fmt: skip


def set_legal_hold(item: EvidenceItem, *, actor: Any, reason: str) -> EvidenceItem:
    """Put the item under legal hold (a court or prosecutor asked to preserve it)."""
    _require(actor, "legal_hold", "only managers may put evidence under legal hold")
    if not (reason or "").strip():
        raise InvalidInput("say why (e.g. the prosecutor's request number)", field="reason")
    if item.legal_hold:
        raise InvalidTransition("the item is already under legal hold", field="legal_hold")
    return _custody_change(
        item, actor=actor, action=CustodyAction.LEGAL_HOLD, reason=reason,
        changes={"legal_hold": True},
    )  # fmt: skip


def release_legal_hold(item: EvidenceItem, *, actor: Any, reason: str) -> EvidenceItem:
    """Lift the legal hold."""
    _require(actor, "legal_hold", "only managers may lift a legal hold")
    if not (reason or "").strip():
        raise InvalidInput("say why the hold is lifted", field="reason")
    if not item.legal_hold:
        raise InvalidTransition("the item is not under legal hold", field="legal_hold")
    return _custody_change(
        item, actor=actor, action=CustodyAction.RELEASED, reason=reason,
        changes={"legal_hold": False},
    )  # fmt: skip


# --- verification ---------------------------------------------------------------------------


@dataclass
class ItemVerification:
    """One item: its file status ('ok', 'missing', 'changed') and its chain problems."""

    item_id: int
    sha256: str
    file_status: str = "ok"
    chain_problems: list[custody_engine.ChainProblem] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return self.file_status == "ok" and not self.chain_problems


@dataclass
class VerifyReport:
    """Everything ``minewatch evidence verify`` found."""

    items: int = 0
    entries: int = 0
    problems: list[ItemVerification] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems


def chain_problems(
    item: EvidenceItem, rows: Iterable[CustodyEntry]
) -> list[custody_engine.ChainProblem]:
    """Verify the item's chain against its own hash and its recorded head and length."""
    return custody_engine.verify_chain(
        [row.to_engine(item.sha256) for row in rows],
        expected_item_sha256=item.sha256,
        expected_head_hash=item.custody_head_hash,
        expected_length=item.custody_length,
    )


def verify_item(item: EvidenceItem) -> ItemVerification:
    """Rehash the item's file and check its custody chain."""
    report = custody_engine.verify_items(get_store(), [item.sha256])
    status = "missing" if report.missing else "changed" if report.changed else "ok"
    rows = CustodyEntry.objects.filter(item=item).order_by("sequence")
    return ItemVerification(item.pk, item.sha256, status, chain_problems(item, rows))


def verify_and_record(item: EvidenceItem, *, actor: Any) -> ItemVerification:
    """Verify one item; when intact, append a 'verified' entry to its custody log."""
    result = verify_item(item)
    if result.is_ok:
        with transaction.atomic():
            append_custody(item, action=CustodyAction.VERIFIED, actor=actor,
                           reason="archivo y cadena de custodia verificados")  # fmt: skip
        result = verify_item(item)
    return result


def _verify_batch(store: Any, items: list[EvidenceItem], workers: int) -> list[ItemVerification]:
    files = custody_engine.verify_items(store, sorted({i.sha256 for i in items}), workers=workers)
    rows: dict[int, list[CustodyEntry]] = {item.pk: [] for item in items}
    for row in CustodyEntry.objects.filter(item__in=items).order_by("item_id", "sequence"):
        rows[row.item_id].append(row)
    results = []
    for item in items:
        status = "missing" if item.sha256 in files.missing else "ok"
        status = "changed" if item.sha256 in files.changed else status
        results.append(
            ItemVerification(item.pk, item.sha256, status, chain_problems(item, rows[item.pk]))
        )
    return results


def verify_all(
    *, workers: int = 1, batch_size: int = 200, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Recompute every file's hash and check every custody chain (all organisations).

    ``progress(n)`` is called after each batch with the number of items just checked.
    """
    store = get_store()
    report = VerifyReport()
    last_pk = 0
    while items := list(EvidenceItem.objects.filter(pk__gt=last_pk).order_by("pk")[:batch_size]):
        last_pk = items[-1].pk  # keyset pages: memory stays one batch however large the locker
        for result in _verify_batch(store, items, workers):
            report.items += 1
            if not result.is_ok:
                report.problems.append(result)
        if progress is not None:
            progress(len(items))
    report.entries = CustodyEntry.objects.count()
    return report
