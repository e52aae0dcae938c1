"""Response protocols: seeding from the catalogue, attaching checklists, ticking steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.alerts.engine.protocols_catalog import load_response_protocols
from minewatch.alerts.engine.suggestions import suggestion_for
from minewatch.alerts.models import (
    Alert,
    ChecklistItem,
    ProtocolChecklist,
    ResponseProtocol,
)
from minewatch.alerts.services.police import note_police_notified
from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.incidents import taxonomy


def tells_police(text_en: str) -> bool:
    """A step that tells someone to alert, inform or report to the police (PNP).

    Ticking it records the time the police were notified, for the response-time metric.
    """
    words = text_en.lower()
    return ("pnp" in words or "police" in words) and words.startswith(("alert", "inform", "report"))


def protocol_code_for(incident_type: str) -> str:
    """The catalogue protocol of an incident type (taxonomy), or the type itself."""
    kind = taxonomy.TYPES_BY_CODE.get(incident_type)
    return (kind.protocol if kind and kind.protocol else incident_type) or ""


def seed_protocols(organisation: Any, registry: Any = None) -> int:
    """Copy the bundled bilingual catalogue into the organisation's editable protocols.

    ``registry`` is the app registry (a data migration passes its historical one).
    """
    from django.apps import apps

    registry = registry or apps
    protocol_model = registry.get_model("alerts", "ResponseProtocol")
    step_model = registry.get_model("alerts", "ProtocolStep")
    existing = set(
        protocol_model.objects.filter(organisation_id=organisation.pk).values_list(
            "code", flat=True
        )
    )
    catalogue = {c: p for c, p in load_response_protocols().items() if c not in existing}
    rows = protocol_model.objects.bulk_create(
        protocol_model(
            organisation_id=organisation.pk,
            code=code,
            title_es=protocol.title_es,
            title_en=protocol.title_en,
            incident_types=[
                t.code for t in taxonomy.INCIDENT_TYPES if protocol_code_for(t.code) == code
            ]
            or [code],
        )  # fmt: skip
        for code, protocol in catalogue.items()
    )
    step_model.objects.bulk_create(
        step_model(
            protocol=row,
            order=index,
            code=step.code,
            text_es=step.es,
            text_en=step.en,
            role=step.role,
            within_minutes=step.within_minutes,
            notifies_police=tells_police(step.en),
        )  # fmt: skip
        for row, protocol in zip(rows, catalogue.values(), strict=True)
        for index, step in enumerate(protocol.steps)
    )
    return len(rows)


def protocol_code_for_alert(kind: str, incident_type: str) -> str:
    """The checklist of an alert: its kind's own (fire, tampering, a person in danger) while
    the alert keeps the type its kind suggests, else its incident type's."""
    suggested = suggestion_for(kind)
    if suggested.protocol and incident_type == suggested.incident_type:
        return suggested.protocol
    return protocol_code_for(incident_type) if incident_type else ""


def protocol_for(
    organisation_id: int, incident_type: str, *, code: str = ""
) -> ResponseProtocol | None:
    """The organisation's active protocol with ``code`` (default: the incident type's)."""
    code = code or protocol_code_for(incident_type)
    if not code:
        return None
    protocols = ResponseProtocol.objects.filter(organisation_id=organisation_id, is_active=True)
    return protocols.filter(code=code).first() or next(
        (p for p in protocols if incident_type in (p.incident_types or [])), None
    )


def _attach(protocol: ResponseProtocol, *, alert: Alert | None, incident: Any, now: dt.datetime,
            site: Any) -> ProtocolChecklist:  # fmt: skip
    checklist = ProtocolChecklist.objects.create(
        organisation_id=protocol.organisation_id, protocol=protocol, alert=alert,
        incident=incident, site=site, started_at=now,
    )  # fmt: skip
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            order=step.order,
            code=step.code,
            text_es=step.text_es,
            text_en=step.text_en,
            role=step.role,
            notifies_police=step.notifies_police,
            due_at=now + dt.timedelta(minutes=step.within_minutes),
        )  # fmt: skip
        for step in protocol.steps.all()
    )
    return checklist


def attach_default_protocol(alert: Alert, *, now: dt.datetime) -> ProtocolChecklist | None:
    """Attach the protocol of the alert's incident type, if there is one (inside a transaction)."""
    code = protocol_code_for_alert(alert.kind, alert.incident_type)
    protocol = protocol_for(alert.organisation_id, alert.incident_type, code=code) if code else None
    if protocol is None:
        return None
    return _attach(
        protocol, alert=alert, incident=alert.incident, now=alert.raised_at, site=alert.site
    )


def attach_protocol(
    *, actor: Any, protocol: ResponseProtocol, alert: Alert | None = None, incident: Any = None,
    now: dt.datetime | None = None,
) -> ProtocolChecklist:  # fmt: skip
    """Attach a protocol checklist to an alert or an incident of the same organisation."""
    if not has_capability(actor, "operate"):
        raise NotAllowed("your role cannot attach protocols", field="role")
    target = alert or incident
    if target is None:
        raise InvalidInput("name an alert or an incident", field="alert")
    if protocol.organisation_id != target.organisation_id:
        raise InvalidInput(f"unknown protocol {protocol.pk}", field="protocol")
    with transaction.atomic():
        checklist = _attach(protocol, alert=alert, incident=incident or (alert and alert.incident),
                            now=now or timezone.now(), site=target.site)  # fmt: skip
        audit.record(actor=actor, action=AuditAction.CREATE, instance=checklist,
                     after=audit.snapshot(checklist))  # fmt: skip
    return checklist


def _police_notified(checklist: ProtocolChecklist, at: dt.datetime, *, actor: Any) -> None:
    """A ticked "alert the police" step: the time reaches the alert and the incident."""
    note = f"police notified (protocol step of checklist {checklist.pk})"
    if checklist.alert_id:
        note_police_notified({checklist.alert_id: at}, actor=actor, note=note)
    if checklist.incident_id:
        from minewatch.incidents.services import record_police_notified

        record_police_notified(checklist.incident_id, at=at, actor=actor, note=note)


def can_tick_steps(user: Any) -> bool:
    """Operators and managers work the checklists; every other role reads them."""
    return has_capability(user, "operate")


def _require_tick(actor: Any) -> None:
    if not can_tick_steps(actor):
        raise NotAllowed("your role cannot work protocol checklists", field="role")


def note_protocol_step(
    item: ChecklistItem, *, actor: Any, note: str, now: dt.datetime | None = None
) -> ChecklistItem:
    """Write (or clear) the note of one checklist step, ticked or not; audited."""
    _require_tick(actor)
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("at most 2000 characters", field="note")
    with transaction.atomic():
        locked = (
            ChecklistItem.objects.select_for_update(of=("self",))
            .select_related("checklist")
            .get(pk=item.pk)
        )
        before = audit.snapshot(locked)
        locked.note = note
        locked.save(update_fields=["note"])
        checklist = locked.checklist
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), organisation_id=checklist.organisation_id,
                     note="protocol step note")  # fmt: skip
        _publish_step(checklist, locked, ticked=locked.ticked_at is not None)
    return locked


def _publish_step(checklist: ProtocolChecklist, item: ChecklistItem, *, ticked: bool) -> None:
    publish(Event("protocol.step_ticked", checklist.organisation_id, {
        "checklist_id": checklist.pk, "item_id": item.pk, "code": item.code,
        "ticked": ticked, "alert_id": checklist.alert_id, "incident_id": checklist.incident_id,
    }, site_id=checklist.site_id))  # fmt: skip


def tick_protocol_step(
    item: ChecklistItem, *, actor: Any, note: str = "", undo: bool = False,
    now: dt.datetime | None = None,
) -> ChecklistItem:  # fmt: skip
    """Tick (or untick) one checklist step with who and when; the checklist completes itself."""
    _require_tick(actor)
    if len(note or "") > 2000:
        raise InvalidInput("at most 2000 characters", field="note")
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ChecklistItem.objects.select_for_update(of=("self",))
            .select_related("checklist")
            .get(pk=item.pk)
        )
        if undo == (locked.ticked_at is None):
            state = "not ticked" if undo else "already ticked"
            raise InvalidTransition(f"step {locked.code} is {state}", field="item")
        before = audit.snapshot(locked)
        locked.ticked_at, locked.ticked_by = (None, None) if undo else (now, actor)
        locked.note = note or locked.note
        locked.save()
        checklist = locked.checklist
        open_items = checklist.items.filter(ticked_at__isnull=True).exists()
        checklist.completed_at = None if open_items else now
        checklist.save(update_fields=["completed_at"])
        if locked.notifies_police and not undo:
            _police_notified(checklist, now, actor=actor)
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), organisation_id=checklist.organisation_id,
                     note=note or ("step unticked" if undo else "step ticked"))  # fmt: skip
        _publish_step(checklist, locked, ticked=not undo)
    return locked
