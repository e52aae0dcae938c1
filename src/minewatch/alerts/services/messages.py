"""What a notification says: subject, text and the JSON body for machines (Spanish first)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from minewatch.alerts.models import Alert

SEVERITY_WORDS = {1: "menor", 2: "baja", 3: "media", 4: "alta", 5: "crítica"}


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON-safe summary of an alert sent to webhooks, MQTT and the live stream."""
    return {
        "id": alert.pk,
        "reference": alert.reference,
        "kind": alert.kind,
        "source": alert.source,
        "title": alert.title,
        "severity": alert.severity,
        "status": alert.status,
        "threat": alert.threat,
        "site_id": alert.site_id,
        "site": alert.site.name if alert.site_id else None,
        "lat": alert.lat,
        "lon": alert.lon,
        "place": alert.place,
        "raised_at": alert.raised_at.isoformat(),
        "occurrences": alert.occurrences,
        "subject_type": alert.subject_type,
        "subject_key": alert.subject_key,
    }


def alert_subject(alert: Alert) -> str:
    return (
        f"[MineWatch] {alert.reference} severidad {alert.severity} "
        f"({SEVERITY_WORDS[alert.severity]}): {alert.title}"
    )[:300]


def alert_text(alert: Alert, step_name: str = "") -> str:
    """Plain text for e-mail and SMS: what, where, when, and what to do."""
    local = alert.raised_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    lines = [
        f"{alert.title} — severidad {alert.severity} ({SEVERITY_WORDS[alert.severity]})",
        f"Referencia: {alert.reference}   Tipo: {alert.kind}",
        f"Hora: {local:%Y-%m-%d %H:%M} (hora de Lima)",
    ]
    if alert.site_id:
        lines.append(f"Sede: {alert.site.name}")
    if alert.place:
        lines.append(f"Lugar: {alert.place}")
    if alert.lat is not None and alert.lon is not None:
        lines.append(f"Posición: {alert.lat:.5f}, {alert.lon:.5f}")
    if alert.occurrences > 1:
        lines.append(f"Repeticiones: {alert.occurrences}")
    if alert.description:
        lines.append(alert.description)
    if step_name:
        lines.append(f"Escalamiento: {step_name}")
    lines.append("Confirme la recepción en la consola de MineWatch.")
    return "\n".join(lines)


def sms_text(alert: Alert) -> str:
    """At most one SMS: reference, severity, title, site."""
    site = f" {alert.site.name}" if alert.site_id else ""
    return f"MineWatch {alert.reference} S{alert.severity}: {alert.title}{site}"[:160]
