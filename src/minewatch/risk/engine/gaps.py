"""Capability gap analysis: threats faced × controls deployed.

Coverage of a threat by the deployed controls combines each control's
effectiveness ``e`` against that threat and its deployment quality ``q``
(0..1: 1 = fully deployed, maintained, monitored) as independent barriers:
``coverage = 1 - Π (1 - e·q)``. The gap is ``threat_level × (1 - coverage)``;
a high threat with low coverage is the seed's "structural imbalance".

The default effectiveness matrix is a documented judgement, not a measurement;
it is meant to be edited per organisation. The reasoning, per control:

* PSCs in Peru may only prevent and deter (they cannot investigate, and staff
  are told not to use firearms), so detection/evidence controls (CCTV, drones,
  alarms) score on deterrence and early alert, never on stopping an attack.
* Physical/perimeter controls (cctv, perimeter alarms, access control, guard
  patrols) work best against illegal mining (concession invasions) and
  internal theft, moderately against organised theft, little against social
  conflict, where force must not be the answer.
* Logistics controls (fleet tracking, escorts, identity & cargo verification,
  inventory control) target the seed's "theft of mineral shipments and
  concentrates" and cargo hijacking: organised crime and internal theft.
* People controls (personnel screening, hiring outside the area) target
  infiltration of companies and contractors: internal and organised crime.
* State controls (police agreement, armed forces presence) are the only ones
  with force against terrorism and armed organised crime, but police cannot
  cover ~2 million hectares, so they stay below 0.5 except for terrorism.
* The community relations programme is the main control for social conflict
  ("Social License to Operate") and useless against criminals, "for whom
  dialogue alone is ineffective".
* The early-warning network (information on illicit activity) helps against
  every threat, most against social conflict, organised crime and terrorism.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

THREATS: tuple[str, ...] = (
    "terrorism",
    "social_conflict",
    "illegal_mining",
    "organised_crime",
    "internal",
)

# Columns follow THREATS: terrorism, social_conflict, illegal_mining, organised_crime, internal.
DEFAULT_EFFECTIVENESS: dict[str, tuple[float, float, float, float, float]] = {
    "cctv": (0.15, 0.10, 0.30, 0.30, 0.40),
    "drone_patrols": (0.20, 0.15, 0.40, 0.25, 0.10),
    "perimeter_intrusion_alarms": (0.20, 0.05, 0.40, 0.30, 0.20),
    "access_control": (0.20, 0.10, 0.30, 0.30, 0.45),
    "guard_patrols": (0.15, 0.10, 0.35, 0.25, 0.25),
    "radio_communication": (0.10, 0.10, 0.15, 0.15, 0.05),
    "fleet_tracking": (0.10, 0.05, 0.10, 0.40, 0.25),
    "escorts": (0.25, 0.05, 0.10, 0.40, 0.10),
    "identity_cargo_verification": (0.10, 0.00, 0.20, 0.35, 0.35),
    "inventory_control": (0.05, 0.00, 0.20, 0.30, 0.50),
    "remote_operations_centre": (0.15, 0.10, 0.25, 0.30, 0.25),
    "personnel_screening": (0.15, 0.00, 0.10, 0.35, 0.55),
    "police_agreement": (0.45, 0.30, 0.30, 0.40, 0.10),
    "armed_forces_presence": (0.60, 0.10, 0.45, 0.35, 0.00),
    "community_relations_programme": (0.10, 0.60, 0.15, 0.00, 0.00),
    "early_warning_network": (0.30, 0.40, 0.30, 0.35, 0.15),
}

DEFAULT_HIGH_THREAT = 0.6
DEFAULT_LOW_COVERAGE = 0.4


@dataclass(frozen=True)
class ThreatGap:
    """Coverage and gap of one threat at one site."""

    threat: str
    threat_level: float
    coverage: float
    gap: float
    is_structural_imbalance: bool
    contributions: dict[str, float]


def effectiveness_matrix(
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, dict[str, float]]:
    """The default matrix as ``{control: {threat: e}}`` with ``overrides`` applied.

    Examples
    --------
    >>> effectiveness_matrix({"cctv": {"internal": 0.5}})["cctv"]["internal"]
    0.5
    """
    matrix = {c: dict(zip(THREATS, row, strict=True)) for c, row in DEFAULT_EFFECTIVENESS.items()}
    for control, row in (overrides or {}).items():
        for threat, value in row.items():
            if threat not in THREATS:
                raise ValueError(f"unknown threat {threat!r}; threats are {list(THREATS)}")
            if not 0 <= value <= 1:
                raise ValueError(f"effectiveness of {control} against {threat} must be 0..1")
            matrix.setdefault(control, dict.fromkeys(THREATS, 0.0))[threat] = float(value)
    return matrix


def threat_coverage(
    threat: str,
    deployed: Mapping[str, float],
    matrix: Mapping[str, Mapping[str, float]] | None = None,
) -> tuple[float, dict[str, float]]:
    """Coverage ``1 - Π(1 - e_i q_i)`` of ``threat`` by controls ``{name: quality 0..1}``.

    Returns the coverage and each control's ``e·q``.

    Examples
    --------
    >>> round(threat_coverage("internal", {"personnel_screening": 1.0, "cctv": 0.5})[0], 3)
    0.64
    """
    if threat not in THREATS:
        raise ValueError(f"unknown threat {threat!r}; threats are {list(THREATS)}")
    matrix = matrix if matrix is not None else effectiveness_matrix()
    remaining, contributions = 1.0, {}
    for control, quality in deployed.items():
        if control not in matrix:
            raise ValueError(f"unknown control {control!r}; controls are {sorted(matrix)}")
        if not 0 <= quality <= 1:
            raise ValueError(f"quality of {control} must be a fraction 0..1, got {quality!r}")
        reduction = matrix[control][threat] * quality
        contributions[control] = reduction
        remaining *= 1 - reduction
    return 1 - remaining, contributions


def capability_gaps(
    threat_levels: Mapping[str, float],
    deployed: Mapping[str, float],
    matrix: Mapping[str, Mapping[str, float]] | None = None,
    high_threat: float = DEFAULT_HIGH_THREAT,
    low_coverage: float = DEFAULT_LOW_COVERAGE,
) -> list[ThreatGap]:
    """Gap per threat at a site, largest gap first.

    Parameters
    ----------
    threat_levels : mapping
        Threat name → level 0..1 (e.g. the register's score / 25, or a
        forecast share).
    deployed : mapping
        Control name → deployment quality 0..1.
    high_threat, low_coverage : float
        A threat at or above ``high_threat`` with coverage below ``low_coverage``
        is flagged as a structural imbalance.

    Examples
    --------
    >>> gaps = capability_gaps({"organised_crime": 0.9}, {"community_relations_programme": 1.0})
    >>> gaps[0].is_structural_imbalance
    True
    """
    result = []
    for threat, level in threat_levels.items():
        if not 0 <= level <= 1:
            raise ValueError(f"threat level of {threat} must be a fraction 0..1, got {level!r}")
        coverage, contributions = threat_coverage(threat, deployed, matrix)
        result.append(
            ThreatGap(
                threat=threat,
                threat_level=float(level),
                coverage=coverage,
                gap=float(level) * (1 - coverage),
                is_structural_imbalance=level >= high_threat and coverage < low_coverage,
                contributions=contributions,
            )
        )
    return sorted(result, key=lambda gap: gap.gap, reverse=True)
