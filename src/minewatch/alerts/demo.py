"""Demo alerting: police contacts per site, and two months of synthetic alert history.

Rules, the standard ladder and the bilingual protocols are already there (every new
organisation gets them). History is raised through the services with past times,
acknowledged and resolved by the demo operators, so the metrics have something to show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minewatch.alerts import services
from minewatch.alerts.choices import AlertSource, ContactKind
from minewatch.alerts.services.alerts import open_alert
from minewatch.alerts.services.rules import AlertInput

SYNTHETIC = "(demo, sintético)"
# Police stations (comisarías PNP) covering each demo site; addresses are synthetic.
POLICE = {
    "las_bambas": "Comisaría PNP Challhuahuacho", "antapaccay": "Comisaría PNP Espinar",
    "constancia": "Comisaría PNP Chamaca", "cerro_verde": "Comisaría PNP Uchumayo",
    "toquepala": "Comisaría PNP Ilabaya", "cuajone": "Comisaría PNP Torata",
    "quellaveco": "Comisaría PNP Moquegua", "poderosa": "Comisaría PNP Pataz",
    "matarani": "Comisaría PNP Mollendo", "antamina": "Comisaría PNP San Marcos",
    "yanacocha": "Comisaría PNP Cajamarca",
}  # fmt: skip
HISTORY = (
    ("alarm.perimeter", 4, AlertSource.ALARM_PANEL, "Intrusión perimetral: cerco norte", "concession_invasion"),
    ("camera.intrusion", 4, AlertSource.CAMERA, "Intrusión en cámara: persona en el cerco", "concession_invasion"),
    ("route_deviation", 3, AlertSource.DETECTION, "Desvío de ruta de camión de concentrado", ""),
    ("signal_loss", 4, AlertSource.DETECTION, "Pérdida de señal (posible inhibidor)", "cargo_hijacking"),
    ("tour.checkpoint_missed", 3, AlertSource.GUARD_TOUR, "Punto de control omitido", ""),
    ("panic", 5, AlertSource.PANIC, "Botón de pánico de escolta", "convoy_attack"),
)  # fmt: skip


def _contacts(context: Any) -> int:
    for key, name in POLICE.items():
        site = context.sites[key]
        actor = context.users[
            "admin"
            if site.organisation_id == context.users["admin"].organisation_id
            else "manager2"
        ]
        services.save_contact(
            actor=actor, organisation=site.organisation, name=f"{name} {SYNTHETIC}",
            kind=ContactKind.POLICE, site=site, area=site.description[:200],
            email=f"{key}.pnp@example.pe", phone="+51900000105",
            notes="Contacto sintético para la demostración; la emergencia real es el 105.",
        )  # fmt: skip
    return len(POLICE)


def _history(context: Any, count: int = 48) -> int:
    rng, now = context.rng, context.now
    keys = ["las_bambas", "antapaccay", "poderosa", "matarani", "antamina", "constancia"]
    for index in range(count):
        key = rng.choice(keys)
        site = context.sites[key]
        kind, severity, source, title, incident_type = rng.choice(HISTORY)
        raised = now - dt.timedelta(days=rng.uniform(1, 60), minutes=rng.uniform(0, 600))
        item = AlertInput(
            organisation_id=site.organisation_id, kind=kind, severity=severity, source=source,
            occurred_at=raised, title=f"{title} {SYNTHETIC}", site_id=site.pk,
            subject_type="demo", subject_key=f"hist-{index}", lat=site.lat + rng.uniform(-0.02, 0.02),
            lon=site.lon + rng.uniform(-0.02, 0.02), incident_type=incident_type, is_synthetic=True,
        )  # fmt: skip
        alert = open_alert(item, now=raised)
        operator = context.users[
            "manager2" if key == "antamina" else rng.choice(["operator", "psc-operator"])
        ]
        acked = raised + dt.timedelta(seconds=rng.uniform(40, 900))
        services.acknowledge_alert(alert, actor=operator, now=acked, note="Recibido (demo)")
        if rng.random() < 0.4:
            services.record_police_notified(
                alert, actor=operator, at=acked + dt.timedelta(minutes=rng.uniform(2, 20))
            )
        resolved = acked + dt.timedelta(minutes=rng.uniform(10, 240))
        note = rng.choice(["Falsa alarma verificada por cámara", "Patrulla verificó la zona",
                           "PNP intervino; sin daños", "Camión retomó la ruta autorizada"])  # fmt: skip
        services.resolve_alert(alert, actor=operator, note=f"{note} (demo)", now=resolved)
    return count


def load(context: Any) -> None:
    """Police contacts for every demo site and synthetic alert history."""
    contacts = _contacts(context)
    history = _history(context)
    context.summary.append(f"{contacts} police contacts, {history} synthetic resolved alerts")
