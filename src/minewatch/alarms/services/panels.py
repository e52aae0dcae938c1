"""Alarm panels: configuring them, and storing what the SIA receiver accepts.

The receiver (``alarms.receivers``) hands each accepted :class:`PanelEvent` to
:func:`record_panel_event`: heartbeats only refresh ``last_seen_at``; alarms
(burglary, perimeter, panic, fire, tamper, trouble) are stored and run through the
alert rules as ``alarm.<category>`` detections.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from minewatch.alarms.engine.sia import PanelEvent, SiaPanelAccount
from minewatch.alarms.models import AlarmPanel, PanelEventRecord
from minewatch.alerts.choices import AlertSource
from minewatch.alerts.services import AlertInput, raise_alert
from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability

logger = logging.getLogger("minewatch.alarms")

# Alert severity per panel category (1 minor .. 5 critical); others are only recorded.
CATEGORY_SEVERITY = {
    "panic": 5,
    "burglary": 4,
    "perimeter": 4,
    "fire": 4,
    "tamper": 3,
    "trouble": 2,
}
CATEGORY_TITLES = {
    "panic": "Pánico / coacción en panel", "burglary": "Alarma de intrusión",
    "perimeter": "Intrusión perimetral", "fire": "Alarma de incendio",
    "tamper": "Sabotaje del panel o sensor", "trouble": "Falla técnica del panel",
}  # fmt: skip


def panel_accounts() -> list[SiaPanelAccount]:
    """The receiver's view of every active panel (account, key, perimeter zones)."""
    accounts = []
    for panel in AlarmPanel.objects.filter(is_active=True):
        perimeter = {z for z, e in (panel.zone_map or {}).items() if (e or {}).get("perimeter")}
        accounts.append(SiaPanelAccount(panel.account, panel.key or None, frozenset(perimeter),
                                        max_age_s=panel.max_age_s))  # fmt: skip
    return accounts


def _check_panel(values: dict[str, Any]) -> None:
    try:
        SiaPanelAccount(values["account"], values.get("key") or None)
    except ValueError as exc:
        field = "key" if values.get("key") else "account"
        raise InvalidInput(str(exc), field=field) from None
    zone_map = values.get("zone_map") or {}
    if not isinstance(zone_map, dict) or not all(isinstance(v, dict) for v in zone_map.values()):
        raise InvalidInput(
            'expected {"<zone>": {"name": ..., "perimeter": true}}', field="zone_map"
        )


def save_panel(
    *, actor: Any, organisation: Any, panel: AlarmPanel | None = None, **values: Any
) -> AlarmPanel:
    """Create or change an alarm panel; its account must be valid SIA (3-16 hex) and unique."""
    if not has_capability(actor, "configure_alerts"):
        raise NotAllowed("your role cannot configure alarm panels", field="role")
    merged = {"account": getattr(panel, "account", ""), "key": getattr(panel, "key", ""),
              "zone_map": getattr(panel, "zone_map", {}), **values}  # fmt: skip
    _check_panel(merged)
    merged["account"] = merged["account"].upper()
    site = merged.get("site") or getattr(panel, "site", None)
    if site is None or site.organisation_id != organisation.pk:
        raise InvalidInput("a site of your organisation is required", field="site")
    clash = AlarmPanel.objects.filter(account=merged["account"]).exclude(
        pk=getattr(panel, "pk", None)
    )
    if clash.exists():
        raise InvalidInput(f"account {merged['account']} is already in use", field="account")
    with transaction.atomic():
        before = audit.snapshot(panel) if panel else None
        target = panel or AlarmPanel(organisation=organisation)
        for name, value in {**values, "account": merged["account"]}.items():
            setattr(target, name, value)
        target.full_clean()
        target.save()
        after = audit.snapshot(target)
        after.pop("key", None)
        if before:
            before.pop("key", None)
        audit.record(actor=actor, action=AuditAction.UPDATE if panel else AuditAction.CREATE,
                     instance=target, before=before, after=after)  # fmt: skip
    return target


def panel_event_input(panel: AlarmPanel, event: PanelEvent) -> AlertInput:
    zone_entry = (panel.zone_map or {}).get(event.zone) or {}
    title = f"{CATEGORY_TITLES[event.category]}: {panel.zone_name(event.zone)} ({panel.name})"
    return AlertInput(
        organisation_id=panel.organisation_id, kind=f"alarm.{event.category}",
        severity=CATEGORY_SEVERITY[event.category], source=AlertSource.ALARM_PANEL,
        occurred_at=event.time_utc, title=title[:200], site_id=panel.site_id,
        zone_id=zone_entry.get("zone_id"), subject_type="panel_zone",
        subject_key=f"{panel.account}:{event.zone or '-'}", lat=panel.site.lat, lon=panel.site.lon,
        place=panel.zone_name(event.zone), description=event.message,
        details={"account": panel.account, "code": event.code, "zone": event.zone,
                 "area": event.area, "sequence": event.sequence},
    )  # fmt: skip


def record_panel_event(event: PanelEvent) -> PanelEventRecord | None:
    """Store one accepted panel event and raise its alert; None for heartbeats and repeats.

    Idempotent: the same frame delivered again (a retransmission after a restart of the
    receiver) is recognised by account, sequence, code, zone and time and not stored twice.
    """
    panel = AlarmPanel.objects.select_related("site").filter(account=event.account).first()
    if panel is None:
        logger.warning("panel event from unknown account %s ignored", event.account)
        return None
    AlarmPanel.objects.filter(pk=panel.pk).update(last_seen_at=event.received_at_utc)
    if event.category == "heartbeat":
        return None
    with transaction.atomic():
        duplicate = PanelEventRecord.objects.filter(
            panel=panel, sequence=event.sequence, code=event.code, zone=event.zone,
            event_time=event.time_utc,
        ).exists()  # fmt: skip
        if duplicate:
            return None
        record = PanelEventRecord.objects.create(
            organisation_id=panel.organisation_id, panel=panel, site_id=panel.site_id,
            code=event.code, category=event.category, zone=event.zone, area=event.area,
            message=event.message[:300], sequence=event.sequence, event_time=event.time_utc,
            received_at=event.received_at_utc, is_encrypted=event.is_encrypted,
        )  # fmt: skip
        if event.category in CATEGORY_SEVERITY:
            alerts = raise_alert(panel_event_input(panel, event))
            if alerts:
                record.alert = alerts[0]
                record.save(update_fields=["alert"])
    return record
