"""Response protocols: a bilingual checklist per incident type, loaded from JSON data.

The checklists live in ``data/response_protocols.json`` (Spanish and English, written
for private security in Peru: protect people, alert the police, keep evidence, no
firearms). The Django layer copies them into editable rows; this module only loads
and validates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "REQUIRED_INCIDENT_TYPES",
    "ProtocolStep",
    "ResponseProtocol",
    "load_response_protocols",
    "parse_response_protocols",
]

REQUIRED_INCIDENT_TYPES = (
    "concession_invasion",
    "extortion",
    "convoy_attack",
    "cargo_hijacking",
    "road_blockade",
    "kidnapping",
    "explosives_theft",
)
ROLES = frozenset(
    {"operator", "guard", "escort_leader", "security_manager", "liaison", "analyst", "crisis_team"}
)


@dataclass(frozen=True)
class ProtocolStep:
    """One checklist line: who does what, within how many minutes of the alert."""

    code: str
    es: str
    en: str
    role: str
    within_minutes: int


@dataclass(frozen=True)
class ResponseProtocol:
    """The checklist for one incident type."""

    incident_type: str
    title_es: str
    title_en: str
    steps: tuple[ProtocolStep, ...]


def _parse_step(incident_type: str, raw: dict[str, Any]) -> ProtocolStep:
    try:
        step = ProtocolStep(
            code=str(raw["code"]),
            es=str(raw["es"]),
            en=str(raw["en"]),
            role=str(raw["role"]),
            within_minutes=int(raw["within_minutes"]),
        )
    except KeyError as exc:
        raise ValueError(f"protocol {incident_type}: a step is missing {exc.args[0]!r}") from None
    if step.role not in ROLES:
        raise ValueError(f"protocol {incident_type} step {step.code}: unknown role {step.role!r}")
    if step.within_minutes <= 0 or not step.es.strip() or not step.en.strip():
        raise ValueError(f"protocol {incident_type} step {step.code}: empty text or minutes <= 0")
    return step


def parse_response_protocols(data: dict[str, Any]) -> dict[str, ResponseProtocol]:
    """Validate and build protocols from the JSON structure (keys starting "_" skipped).

    Examples
    --------
    >>> data = {"extortion": {"title_es": "Extorsión", "title_en": "Extortion", "steps": [
    ...     {"code": "E1", "es": "No pagar.", "en": "Do not pay.", "role": "security_manager",
    ...      "within_minutes": 15}]}}
    >>> parse_response_protocols(data)["extortion"].steps[0].en
    'Do not pay.'
    """
    protocols = {}
    for incident_type, raw in data.items():
        if incident_type.startswith("_"):
            continue
        steps = tuple(_parse_step(incident_type, step) for step in raw.get("steps", ()))
        if not steps:
            raise ValueError(f"protocol {incident_type} has no step")
        codes = [step.code for step in steps]
        if len(set(codes)) != len(codes):
            raise ValueError(f"protocol {incident_type} repeats a step code: {codes}")
        protocols[incident_type] = ResponseProtocol(
            incident_type, str(raw["title_es"]), str(raw["title_en"]), steps
        )
    return protocols


def load_response_protocols() -> dict[str, ResponseProtocol]:
    """Load the bundled catalogue; ValueError if a required incident type is missing."""
    text = (
        resources.files("minewatch.alerts.engine")
        .joinpath("data/response_protocols.json")
        .read_text(encoding="utf-8")
    )
    protocols = parse_response_protocols(json.loads(text))
    missing = [name for name in REQUIRED_INCIDENT_TYPES if name not in protocols]
    if missing:
        raise ValueError(f"response protocol catalogue lacks {missing}")
    return protocols
