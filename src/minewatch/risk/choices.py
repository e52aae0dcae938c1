"""The control catalogue (from the seed) and the other enumerations of the risk app.

Control codes are the rows of the engine's documented default effectiveness matrix
(``risk.engine.gaps.DEFAULT_EFFECTIVENESS``); labels in both languages are picked at
render time like the incident taxonomy's.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy

from minewatch.incidents.choices import bilingual
from minewatch.risk.engine.gaps import DEFAULT_EFFECTIVENESS
from minewatch.risk.engine.register import BAND_NAMES

# (code, Spanish, English) — the controls the seed names.
CONTROLS: tuple[tuple[str, str, str], ...] = (
    ("cctv", "Videovigilancia (CCTV)", "CCTV"),
    ("drone_patrols", "Patrullaje con drones", "Drone patrols"),
    ("perimeter_intrusion_alarms", "Alarmas de intrusión perimetral", "Perimeter intrusion alarms"),
    ("access_control", "Control de accesos", "Access control"),
    ("guard_patrols", "Rondas de vigilancia", "Guard patrols"),
    ("radio_communication", "Comunicación por radio", "Radio communication"),
    ("fleet_tracking", "Rastreo satelital de flota", "Fleet tracking"),
    ("escorts", "Resguardo y escoltas", "Escorts"),
    ("identity_cargo_verification", "Verificación de identidad y carga",
     "Identity and cargo verification"),
    ("inventory_control", "Control de inventarios", "Inventory control"),
    ("remote_operations_centre", "Centro de control remoto", "Remote operations centre"),
    ("personnel_screening", "Evaluación y verificación de personal", "Personnel screening"),
    ("police_agreement", "Convenio con la Policía Nacional", "Agreement with the police"),
    ("armed_forces_presence", "Presencia de las Fuerzas Armadas", "Armed forces presence"),
    ("community_relations_programme", "Programa de relaciones comunitarias",
     "Community relations programme"),
    ("early_warning_network", "Red de inteligencia de alerta temprana",
     "Early-warning intelligence network"),
)  # fmt: skip
CONTROL_CODES = tuple(code for code, _es, _en in CONTROLS)
CONTROL_LABELS = {code: (es, en) for code, es, en in CONTROLS}
CONTROL_CHOICES = [(code, bilingual(es, en)) for code, es, en in CONTROLS]

assert set(CONTROL_CODES) == set(DEFAULT_EFFECTIVENESS), "catalogue and default matrix differ"

# Risk band names (risk.engine.register.BAND_NAMES), translated; "riesgo alto" etc.
BAND_LABELS: dict[str, Any] = {
    "very_low": pgettext_lazy("risk band", "very low"),
    "low": pgettext_lazy("risk band", "low"),
    "medium": pgettext_lazy("risk band", "medium"),
    "high": pgettext_lazy("risk band", "high"),
    "very_high": pgettext_lazy("risk band", "very high"),
    "extreme": pgettext_lazy("risk band", "extreme"),
}
assert set(BAND_LABELS) == set(BAND_NAMES), "band labels and the engine's band names differ"


def band_label(name: str) -> Any:
    """The translated label of a band name (the name itself if unknown)."""
    return BAND_LABELS.get(name, name)


def control_label(code: str) -> Any:
    """The label of a control code in the active language (the code itself if unknown)."""
    labels = CONTROL_LABELS.get(code)
    return code if labels is None else bilingual(*labels)
