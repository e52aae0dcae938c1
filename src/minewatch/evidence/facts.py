"""The facts of an incident as the complaint dossier states them (Spanish labels, plain values).

Another app adds facts it owns (e.g. the response-protocol steps of the alerts app)
by providing ``<app>/dossier_facts.py`` with ``incident_facts(incident) -> dict``;
its keys are merged in (``protocol_steps`` is read by the PDF).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.models import Q

from minewatch.core.registry import app_modules
from minewatch.incidents import taxonomy
from minewatch.incidents.models import Incident

PERU_OUTLINE = Path(__file__).resolve().parents[1] / "geo" / "data" / "peru_admin1.geojson"

# The dossier is in Spanish whatever the interface language, so these few labels
# are fixed here rather than taken from the translation catalogue.
TIME_OF_DAY_ES = {
    "dawn": "madrugada (04–07 h)", "morning": "mañana (07–12 h)",
    "afternoon": "tarde (12–18 h)", "evening": "noche temprana (18–22 h)",
    "night": "noche (22–04 h)", "unknown": "desconocido",
}  # fmt: skip
PRECISION_ES = {
    "minute": "exacta al minuto", "hour": "dentro de la hora", "day": "solo el día",
    "month": "solo el mes",
}  # fmt: skip
UNIT_ES = {"t": "t", "kg": "kg", "oz_t": "oz troy", "m3": "m³", "unit": "unidades", "l": "litros"}
CONFIDENTIALITY_ES = {"internal": "interna", "restricted": "restringida",
                      "confidential": "confidencial"}  # fmt: skip
_WEAPONS_ES = {code: es for code, es, _en in taxonomy.WEAPONS}
_RESPONDERS_ES = {code: es for code, es, _en in taxonomy.RESPONDERS}


@lru_cache(maxsize=1)
def peru_outline() -> dict[str, Any] | None:
    """Peru's departments (GeoJSON) for the dossier map, or None if the file is absent."""
    if not PERU_OUTLINE.exists():
        return None
    return json.loads(PERU_OUTLINE.read_text(encoding="utf-8"))


def _assailants(incident: Incident) -> str | None:
    low, high = incident.assailants_min, incident.assailants_max
    if low is None and high is None:
        return None
    if low == high or high is None:
        return str(low)
    return f"{low if low is not None else '?'} a {high}"


def _timing(incident: Incident) -> list[str]:
    lines = [f"hora del día: {TIME_OF_DAY_ES.get(incident.time_of_day, incident.time_of_day)}",
             f"precisión de la hora: {PRECISION_ES.get(incident.occurred_at_precision, '')}"]  # fmt: skip
    if incident.duration_minutes:
        lines.append(f"duración: {incident.duration_minutes} min")
    lines.append(f"reportado el {incident.reported_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC")
    if incident.response_minutes is not None:
        lines.append(f"tiempo de respuesta: {incident.response_minutes} min")
    return lines


def _impact(incident: Incident) -> dict[str, Any]:
    injuries = {
        "personal propio": incident.injured_staff, "contratistas": incident.injured_contractors,
        "seguridad": incident.injured_security, "policía/FFAA": incident.injured_police,
        "comunidad": incident.injured_community, "agresores": incident.injured_assailants,
    }  # fmt: skip
    detail = ", ".join(f"{name} {count}" for name, count in injuries.items() if count)
    impact: dict[str, Any] = {
        "fatalities": incident.fatalities,
        "injuries": f"{incident.injured_total}" + (f" ({detail})" if detail else ""),
        "kidnapped": incident.kidnapped,
    }
    if incident.loss_usd is not None:
        impact["loss_usd"] = f"{Decimal(incident.loss_usd):,.2f}"
    if incident.material_lost:
        quantity = incident.material_loss_quantity
        unit = UNIT_ES.get(incident.material_loss_unit, incident.material_loss_unit)
        amount = f"{quantity} {unit} de " if quantity is not None else ""
        impact["loss_material"] = f"{amount}{incident.material_lost}"
    return impact


def protocol_steps(incident: Incident) -> list[str]:
    """The response-protocol checklist steps of the incident (alerts app), done or not.

    Read through the app registry so the evidence app does not depend on alerts:
    without it (or without a checklist) the dossier simply has no steps.
    """
    if not apps.is_installed("minewatch.alerts"):
        return []
    try:
        checklist_item = apps.get_model("alerts", "ChecklistItem")
    except LookupError:
        return []
    items = (
        checklist_item.objects.filter(
            Q(checklist__incident=incident) | Q(checklist__alert__incident=incident)
        )
        .select_related("ticked_by")
        .order_by("checklist__started_at", "checklist_id", "order")
        .distinct()
    )
    return [_step_text(item) for item in items]


def _step_text(item: Any) -> str:
    if item.ticked_at is None:
        return f"{item.text_es} — no realizado (plazo {_utc(item.due_at)})"
    who = getattr(item.ticked_by, "username", "") or "?"
    note = f"; nota: {item.note}" if item.note else ""
    return f"{item.text_es} — realizado {_utc(item.ticked_at)} por {who}{note}"


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def incident_facts(incident: Incident) -> dict[str, Any]:
    """Everything the dossier states about ``incident``: JSON-ready values, Spanish labels."""
    kind = taxonomy.TYPES_BY_CODE.get(incident.incident_type)
    threat = taxonomy.THREATS_BY_CODE.get(incident.threat)
    modus = incident.modus_operandi
    if incident.modus_operandi_tags:
        modus = f"{modus} (etiquetas: {', '.join(incident.modus_operandi_tags)})".strip()
    ended = (
        incident.occurred_at + dt.timedelta(minutes=incident.duration_minutes)
        if incident.duration_minutes else None
    )  # fmt: skip
    facts: dict[str, Any] = {
        "reference": incident.reference, "title": incident.title,
        "occurred_at": incident.occurred_at, "ended_at": ended,
        "place": incident.location_description,
        "region": incident.region.name if incident.region else None,
        "site": incident.site.name if incident.site else None,
        "latitude": incident.lat, "longitude": incident.lon,
        "threat": threat.label_es if threat else incident.threat,
        "incident_type": kind.label_es if kind else incident.incident_type,
        "severity": f"{incident.severity} de 5",
        "confidentiality": CONFIDENTIALITY_ES.get(incident.confidentiality),
        "modus_operandi": modus, "assailants_count": _assailants(incident),
        "weapons": [_WEAPONS_ES.get(code, code) for code in incident.weapons],
        "vehicles": list(incident.vehicles_used), "timing": _timing(incident),
        "impact": _impact(incident), "response": incident.response_notes,
        "responders": [_RESPONDERS_ES.get(code, code) for code in incident.responders],
        "police_notified_at": incident.police_notified_at,
        "complaint_number": incident.complaint_number, "narrative": incident.narrative,
        "protocol_steps": protocol_steps(incident), "is_synthetic": incident.is_synthetic,
    }  # fmt: skip
    if incident.is_synthetic:
        facts["title"] = f"{incident.title} — DATOS SINTÉTICOS (demostración)"
    for _config, module in app_modules("dossier_facts"):
        contribute = getattr(module, "incident_facts", None)
        if contribute is not None:
            facts.update(contribute(incident))
    return {key: value for key, value in facts.items() if value not in (None, "", [])}
