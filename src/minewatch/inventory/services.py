"""Every write of the inventory app: weighbridges, lots, weighings (one or a batch), seal checks.

Input names records the way a weighbridge ticket does — lot reference, truck plate,
weighbridge code — so the API, the CSV import and the TCP listener share one path.
Each error names its field; a bad item changes nothing stored.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, MineWatchError, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.evidence.models import EvidenceItem
from minewatch.geo.models import Route, Site
from minewatch.inventory import losses
from minewatch.inventory.choices import (
    CustodyPoint,
    FindingKind,
    Product,
    SealCondition,
    SealStatus,
)
from minewatch.inventory.engine.balance import MAX_MOISTURE_PCT, dry_tonnes
from minewatch.inventory.engine.seals import compare_seals
from minewatch.inventory.models import (
    LossFinding,
    Lot,
    ScaleCapture,
    SealCheck,
    Weighbridge,
    Weighing,
)
from minewatch.tracking.models import Trip, Vehicle

WEIGHING_FIELDS = ("ticket_number", "lot", "custody_point", "weighbridge", "truck", "weighed_at",
                   "wet_tonnes", "moisture_pct")  # fmt: skip
# Compared when a ticket arrives again: the same values are a repeat, others a conflict.
TICKET_VALUES = ("custody_point", "wet_tonnes", "moisture_pct")
MAX_WET_TONNES = 200.0  # no road truck carries more; a typo in kg lands far above


def require(actor: Any, capability: str) -> None:
    if not has_capability(actor, capability):
        raise NotAllowed(_("your role cannot record inventory"), field="role")


def organisation_id(actor: Any) -> int:
    if getattr(actor, "organisation_id", None) is None:
        raise InvalidInput(_("your user belongs to no organisation"), field="organisation")
    return actor.organisation_id


def _visible(actor: Any, model: Any, field_name: str, value: Any, **lookup: Any) -> Any:
    """The record of ``model`` the actor may see, by instance, id or ``lookup``; else 400."""
    if value in (None, ""):
        raise InvalidInput(_("this field is required"), field=field_name)
    if isinstance(value, model):
        query = model.objects.filter(pk=value.pk)
    elif lookup:
        query = model.objects.filter(**lookup)
    else:
        query = model.objects.filter(pk=value) if str(value).isdigit() else model.objects.none()
    found = restrict(query, actor).first()
    if found is None:
        raise InvalidInput(_("unknown %(field)s %(value)s") % {"field": field_name,
                           "value": value}, field=field_name)  # fmt: skip
    return found


def _number(value: Any, field_name: str) -> float:
    try:
        number = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("a number is required"), field=field_name) from None
    if not math.isfinite(number):
        raise InvalidInput(_("a number is required"), field=field_name)
    return number


def _time(value: Any, field_name: str) -> dt.datetime:
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(str(value or ""))
    if parsed is None:
        raise InvalidInput(_("a date and time (ISO 8601) is required"), field=field_name)
    if parsed.tzinfo is None:
        raise InvalidInput(_("the time must carry a time zone"), field=field_name)
    return parsed


@transaction.atomic
def save_weighbridge(
    *, actor: Any, site: Any, code: str, mpe_pct: Any, name: str = "", accuracy_class: str = "",
    weighbridge: Weighbridge | None = None, is_active: bool = True,
) -> Weighbridge:  # fmt: skip
    """Create or change a weighing instrument and its accuracy (managers)."""
    if not has_capability(actor, "manage_sites"):
        raise NotAllowed(_("your role cannot configure weighbridges"), field="role")
    found_site = _visible(actor, Site, "site", site)
    if not (code or "").strip():
        raise InvalidInput(_("this field is required"), field="code")
    mpe = _number(mpe_pct, "mpe_pct")
    if not 0 < mpe <= 5:
        raise InvalidInput(
            _("must be more than 0 and at most 5 (percent of the load)"), field="mpe_pct"
        )
    before = audit.snapshot(weighbridge) if weighbridge else None
    record = weighbridge or Weighbridge(organisation_id=found_site.organisation_id)
    record.site, record.code, record.name = found_site, code.strip(), name
    record.accuracy_class, record.mpe_pct, record.is_active = accuracy_class, mpe, is_active
    record.full_clean()
    record.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=record, before=before, after=audit.snapshot(record))  # fmt: skip
    return record


@transaction.atomic
def register_lot(
    *, actor: Any, reference: str, product: str, origin: Any, destination: Any, truck: Any,
    dispatched_at: Any, trip: Any = None, route: Any = None, driver_name: str = "",
    seal_numbers: list[str] | None = None, is_synthetic: bool = False,
) -> Lot:  # fmt: skip
    """Register a lot (one truckload) with its seals; the truck's contractor is recorded with it."""
    require(actor, "operate")
    if not (reference or "").strip():
        raise InvalidInput(_("this field is required"), field="reference")
    if product not in Product.values:
        raise InvalidInput(_("unknown product %(value)s") % {"value": product}, field="product")
    seals = [str(s).strip() for s in seal_numbers or []]
    if any(not s for s in seals) or len(set(seals)) != len(seals):
        raise InvalidInput(_("seal numbers must be non-empty and distinct"), field="seal_numbers")
    lot = Lot(
        organisation_id=organisation_id(actor), reference=reference.strip(), product=product,
        origin=_visible(actor, Site, "origin", origin),
        destination=_visible(actor, Site, "destination", destination),
        truck=_visible(actor, Vehicle, "truck", truck),
        trip=None if trip in (None, "") else _visible(actor, Trip, "trip", trip),
        route=None if route in (None, "") else _visible(actor, Route, "route", route),
        driver_name=driver_name.strip(), seal_numbers=seals,
        dispatched_at=_time(dispatched_at, "dispatched_at"), is_synthetic=is_synthetic,
    )  # fmt: skip
    if lot.route is None and lot.trip is not None:
        lot.route = lot.trip.route
    lot.contractor = lot.truck.contractor
    if Lot.objects.filter(organisation_id=lot.organisation_id, reference=lot.reference).exists():
        raise InvalidInput(_("a lot with this reference exists"), field="reference")
    lot.full_clean()
    lot.save()
    audit.record(actor=actor, action=AuditAction.CREATE, instance=lot, after=audit.snapshot(lot))
    return lot


def clean_weighing(actor: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Weighing values checked and resolved (lot, weighbridge, truck); InvalidInput names the field."""
    unknown = sorted(set(raw) - set(WEIGHING_FIELDS) - {"is_synthetic", "capture"})
    if unknown:
        raise InvalidInput(_("unknown field"), field=unknown[0])
    ticket = str(raw.get("ticket_number") or "").strip()
    if not ticket or len(ticket) > 60:
        raise InvalidInput(_("a ticket number of 1 to 60 characters is required"),
                           field="ticket_number")  # fmt: skip
    point = raw.get("custody_point")
    if point not in CustodyPoint.values:
        raise InvalidInput(_("one of: %(values)s") % {"values": ", ".join(CustodyPoint.values)},
                           field="custody_point")  # fmt: skip
    capture = None
    if raw.get("capture") not in (None, "") and raw.get("wet_tonnes") in (None, ""):
        capture = _visible(actor, ScaleCapture, "capture", raw.get("capture"))
        if capture.weighing_id is not None:
            raise InvalidInput(_("this capture is already a weighing"), field="capture")
        raw = {**raw, "wet_tonnes": capture.mass_kg / 1000.0}
    wet = _number(raw.get("wet_tonnes"), "wet_tonnes")
    if not 0 < wet <= MAX_WET_TONNES:
        raise InvalidInput(_("the wet mass must be more than 0 and at most %(max)s t")
                           % {"max": f"{MAX_WET_TONNES:g}"}, field="wet_tonnes")  # fmt: skip
    moisture = _number(raw.get("moisture_pct"), "moisture_pct")
    if not 0 <= moisture <= MAX_MOISTURE_PCT:
        raise InvalidInput(_("moisture must be between 0 and %(max)s %%")
                           % {"max": f"{MAX_MOISTURE_PCT:g}"}, field="moisture_pct")  # fmt: skip
    weighed_at = _time(raw.get("weighed_at"), "weighed_at")
    lot = _visible(actor, Lot, "lot", raw.get("lot"), reference=str(raw.get("lot")).strip())
    truck = _visible(actor, Vehicle, "truck", raw.get("truck"), organisation_id=lot.organisation_id,
                     plate=str(raw.get("truck")).strip())  # fmt: skip
    if truck.pk != lot.truck_id:
        raise InvalidInput(_("truck %(plate)s is not the truck of lot %(lot)s") % {
            "plate": truck.plate, "lot": lot.reference}, field="truck")  # fmt: skip
    weighbridge = _visible(actor, Weighbridge, "weighbridge", raw.get("weighbridge"),
                           organisation_id=lot.organisation_id,
                           code=str(raw.get("weighbridge")).strip())  # fmt: skip
    if capture is not None and capture.weighbridge_id != weighbridge.pk:
        raise InvalidInput(_("the capture was read on another weighbridge"), field="capture")
    return {"ticket_number": ticket, "custody_point": point, "wet_tonnes": wet, "capture": capture,
            "moisture_pct": moisture, "weighed_at": weighed_at, "lot": lot, "truck": truck,
            "weighbridge": weighbridge, "is_synthetic": bool(raw.get("is_synthetic", False))}  # fmt: skip


def _same_ticket(existing: Weighing, clean: dict[str, Any]) -> bool:
    same = existing.lot_id == clean["lot"].pk and existing.weighed_at == clean["weighed_at"]
    return same and all(
        math.isclose(getattr(existing, name), clean[name], abs_tol=1e-9)
        if isinstance(clean[name], float) else getattr(existing, name) == clean[name]
        for name in TICKET_VALUES
    )  # fmt: skip


def record_weighing(*, actor: Any, values: dict[str, Any]) -> tuple[Weighing, bool]:
    """Store one weighbridge ticket; returns ``(weighing, created)``.

    Idempotent on the ticket number: the same ticket with the same values returns the
    stored weighing (``created`` False); with other values it is refused (field
    ``ticket_number``). A second weighing of one lot at one custody point (e.g. a second
    final receipt) is refused (field ``custody_point``). When the lot then has both a
    dispatch and a receipt weighing its balance is evaluated (``losses.evaluate_lot``).
    """
    require(actor, "operate")
    clean = clean_weighing(actor, values)
    lot: Lot = clean["lot"]
    with transaction.atomic():
        Lot.objects.select_for_update().filter(pk=lot.pk).first()
        existing = Weighing.objects.filter(organisation_id=lot.organisation_id,
                                           ticket_number=clean["ticket_number"]).first()  # fmt: skip
        if existing is not None:
            if _same_ticket(existing, clean):
                return existing, False
            raise InvalidInput(_("ticket %(ticket)s is already recorded with other values")
                               % {"ticket": clean["ticket_number"]}, field="ticket_number")  # fmt: skip
        if Weighing.objects.filter(lot=lot, custody_point=clean["custody_point"]).exists():
            raise InvalidInput(_("lot %(lot)s already has a weighing at %(point)s") % {
                "lot": lot.reference, "point": CustodyPoint(clean["custody_point"]).label},
                field="custody_point")  # fmt: skip
        capture = clean.pop("capture")
        weighing = Weighing(
            organisation_id=lot.organisation_id, recorded_by=_user(actor),
            dry_tonnes=round(float(dry_tonnes(clean["wet_tonnes"], clean["moisture_pct"])), 6),
            mpe_pct=clean["weighbridge"].mpe_pct, **clean,
        )  # fmt: skip
        weighing.full_clean()
        weighing.save()
        audit.record(actor=actor, action=AuditAction.CREATE, instance=weighing,
                     after=audit.snapshot(weighing))  # fmt: skip
        if capture is not None:
            ScaleCapture.objects.filter(pk=capture.pk, weighing__isnull=True).update(
                weighing=weighing
            )
        if losses.changes_balance(lot, clean["custody_point"]):
            losses.evaluate_lot(Lot.objects.get(pk=lot.pk))
    return weighing, True


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@dataclass
class ItemResult:
    """The outcome of one item of a batch: ``created``, ``unchanged`` or ``error``."""

    index: int
    status: str
    id: int | None = None
    ticket_number: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "status": self.status,
                                "ticket_number": self.ticket_number}  # fmt: skip
        if self.id is not None:
            data["id"] = self.id
        if self.errors:
            data["errors"] = self.errors
        return data


def record_weighings(*, actor: Any, items: list[Any]) -> list[ItemResult]:
    """Store a batch of tickets one by one: a bad item is reported and never fails the others."""
    require(actor, "operate")
    results = []
    for index, raw in enumerate(items):
        ticket = str(raw.get("ticket_number", "")) if isinstance(raw, dict) else ""
        if not isinstance(raw, dict):
            results.append(ItemResult(index, "error", errors={"non_field_errors": [
                _("each item must be an object")]}))  # fmt: skip
            continue
        try:
            weighing, created = record_weighing(actor=actor, values=raw)
        except MineWatchError as exc:
            results.append(ItemResult(index, "error", ticket_number=ticket, errors=exc.as_dict()))
            continue
        results.append(ItemResult(index, "created" if created else "unchanged", weighing.pk,
                                  ticket))  # fmt: skip
    return results


def _observed(value: Any) -> list[tuple[str, bool]]:
    if not isinstance(value, list):
        raise InvalidInput(_("a list of seals is expected"), field="observed")
    seals = []
    for row in value:
        number = str(row.get("number", "")).strip() if isinstance(row, dict) else ""
        condition = row.get("condition") if isinstance(row, dict) else None
        if not number:
            raise InvalidInput(_("each seal needs its number"), field="observed")
        if condition not in SealCondition.values:
            raise InvalidInput(_("condition must be one of: %(values)s") % {
                "values": ", ".join(SealCondition.values)}, field="observed")  # fmt: skip
        seals.append((number, condition == SealCondition.INTACT))
    return seals


def check_seals(
    *, actor: Any, lot: Any, observed: Any, checked_at: Any = None, photos: list | None = None,
    notes: str = "",
) -> SealCheck:  # fmt: skip
    """Record the seals found on a lot at arrival; any seal not matched raises a finding (alert).

    ``observed`` is a list of ``{"number", "condition": intact|broken}``; ``photos``
    evidence items (ids or instances) the user may see.
    """
    require(actor, "operate")
    found_lot = _visible(actor, Lot, "lot", lot)
    seals = _observed(observed)
    when = timezone.now() if checked_at in (None, "") else _time(checked_at, "checked_at")
    items = [_visible(actor, EvidenceItem, "photos", photo) for photo in photos or []]
    results = compare_seals(list(found_lot.seal_numbers), seals)
    rows = [{"number": number, "status": status} for number, status in results]
    with transaction.atomic():
        check = SealCheck.objects.create(
            organisation_id=found_lot.organisation_id, lot=found_lot, checked_at=when,
            checked_by=_user(actor), results=rows, notes=notes,
            is_ok=all(status == SealStatus.MATCHED for _n, status in results),
        )  # fmt: skip
        check.photos.set(items)
        audit.record(actor=actor, action=AuditAction.CREATE, instance=check,
                     after=audit.snapshot(check))  # fmt: skip
        if not check.is_ok:
            bad = [row for row in rows if row["status"] != SealStatus.MATCHED]
            losses.store_finding(LossFinding(
                organisation_id=found_lot.organisation_id, site_id=found_lot.origin_id,
                kind=FindingKind.SEAL, lot=found_lot, severity=4, began_at=when,
                details={"seals": bad, "seal_check": check.pk,
                         "photos": [item.pk for item in items]},
                is_synthetic=found_lot.is_synthetic,
            ))  # fmt: skip
    return check


def record_capture(*, weighbridge: Weighbridge, mass_kg: float, frame: str = "",
                   at: Any = None) -> ScaleCapture:  # fmt: skip
    """Store a stable mass the indicator listener captured (a device write: no user)."""
    if not 0 < mass_kg <= MAX_WET_TONNES * 1000:
        raise InvalidInput(_("the mass must be more than 0 and at most %(max)s t")
                           % {"max": f"{MAX_WET_TONNES:g}"}, field="mass_kg")  # fmt: skip
    with transaction.atomic():
        capture = ScaleCapture.objects.create(
            organisation_id=weighbridge.organisation_id, weighbridge=weighbridge,
            mass_kg=mass_kg, captured_at=at or timezone.now(), frame=frame[:80],
        )  # fmt: skip
        audit.record(actor=None, action=AuditAction.CREATE, instance=capture,
                     after=audit.snapshot(capture), note="weighbridge indicator")  # fmt: skip
    return capture
