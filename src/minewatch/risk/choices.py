"""The control catalogue (from the seed) and the other enumerations of the risk app.

Control codes are the rows of the engine's documented default effectiveness matrix
(``risk.engine.gaps.DEFAULT_EFFECTIVENESS``); labels in both languages are picked at
render time like the incident taxonomy's.
"""

from __future__ import annotations

from minewatch.incidents.choices import bilingual
from minewatch.risk.engine.gaps import DEFAULT_EFFECTIVENESS

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
