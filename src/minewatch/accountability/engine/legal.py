"""Which services a private security company may provide in Peru (the seed's "legal service types").

Two lists, each with the law it comes from (docs/accountability.md gives the sources):

* ``MODALITIES``: the modalities of private security service that SUCAMEC authorises
  under D.Leg. 1213 (Decreto Legislativo que regula los servicios de seguridad privada)
  and its regulation; a contractor may be assigned only to a modality it is authorised
  for, while its authorisation is in force.
* ``PROHIBITED``: services reserved by law to the State that no private company may be
  contracted for: combat, offensive or military-type operations (Constitution art. 165,
  the armed forces; art. 166, the police), crowd control and keeping public order
  (Constitution art. 166; D.Leg. 1267, Ley de la PNP; D.Leg. 1186 on the police use of
  force), and intelligence work against people (D.Leg. 1141, the national intelligence
  system, a State function). Private security prevents and deters; it does not
  investigate or repress (D.Leg. 1213; SPEC "Who uses it").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Modality:
    code: str
    label_es: str
    label_en: str


@dataclass(frozen=True)
class ProhibitedService:
    code: str
    label_es: str
    label_en: str
    law: str


MODALITIES: tuple[Modality, ...] = (
    Modality("vigilancia_privada", "Vigilancia privada", "Private guarding"),
    Modality("proteccion_personal", "Protección personal", "Close protection"),
    Modality(
        "transporte_custodia_dinero_valores",
        "Transporte y custodia de dinero y valores",
        "Cash and valuables transport and custody",
    ),  # fmt: skip
    Modality("tecnologia_seguridad", "Tecnología de seguridad", "Security technology"),
    Modality(
        "proteccion_por_cuenta_propia", "Protección por cuenta propia", "In-house protection"
    ),  # fmt: skip
    Modality(
        "servicio_individual_seguridad_patrimonial",
        "Servicio individual de seguridad patrimonial",
        "Individual asset protection",
    ),  # fmt: skip
    Modality(
        "capacitacion_seguridad_privada",
        "Capacitación en seguridad privada",
        "Private security training",
    ),  # fmt: skip
)
MODALITY_CODES = frozenset(m.code for m in MODALITIES)

PROHIBITED: tuple[ProhibitedService, ...] = (
    ProhibitedService(
        "combat_operations", "Operaciones de combate", "Combat operations",
        "Constitución Política del Perú, art. 165 (Fuerzas Armadas) y art. 166 (Policía "
        "Nacional); D.Leg. 1213 (la seguridad privada es preventiva)",
    ),
    ProhibitedService(
        "offensive_operations", "Operaciones ofensivas", "Offensive operations",
        "Constitución Política del Perú, arts. 165 y 166; D.Leg. 1213 (la seguridad privada "
        "es preventiva y disuasiva)",
    ),
    ProhibitedService(
        "military_operations", "Operaciones de tipo militar", "Military-type operations",
        "Constitución Política del Perú, art. 165; D.Leg. 1095 (empleo de la fuerza por las "
        "Fuerzas Armadas)",
    ),
    ProhibitedService(
        "crowd_control", "Control de multitudes o del orden público",
        "Crowd control or keeping public order",
        "Constitución Política del Perú, art. 166; D.Leg. 1267 (Ley de la Policía Nacional); "
        "D.Leg. 1186 (uso de la fuerza por la PNP)",
    ),
    ProhibitedService(
        "intelligence_on_people", "Inteligencia sobre personas",
        "Intelligence work against people",
        "D.Leg. 1141 (Sistema de Inteligencia Nacional: función del Estado); Constitución "
        "Política del Perú, art. 2 inc. 6 y 7 (intimidad, datos personales)",
    ),
)  # fmt: skip
PROHIBITED_BY_CODE = {p.code: p for p in PROHIBITED}


class ServiceRefusedError(ValueError):
    """A service the contractor may not provide; ``rule`` says which rule refused it."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def check_service(
    service: str, *, authorised: frozenset[str] | set[str], expires_on: dt.date | None,
    today: dt.date,
) -> str:  # fmt: skip
    """Return ``service`` when a contractor may be assigned to it today; raise otherwise.

    Raises ServiceRefusedError with ``rule``:
    ``prohibited`` (a service the law reserves to the State, naming the law),
    ``unknown`` (not a D.Leg. 1213 modality), ``expired`` (no authorisation in force),
    ``not_authorised`` (a modality the contractor's authorisation does not cover).

    >>> check_service("vigilancia_privada", authorised={"vigilancia_privada"},
    ...               expires_on=dt.date(2027, 1, 1), today=dt.date(2026, 12, 1))
    'vigilancia_privada'
    """
    prohibited = PROHIBITED_BY_CODE.get(service)
    if prohibited is not None:
        raise ServiceRefusedError(
            f"{prohibited.label_en} cannot be contracted from private security in Peru "
            f"({prohibited.law})", "prohibited",
        )  # fmt: skip
    if service not in MODALITY_CODES:
        raise ServiceRefusedError(
            f"{service!r} is not a private security modality of D.Leg. 1213; one of "
            f"{sorted(MODALITY_CODES)}", "unknown",
        )  # fmt: skip
    if expires_on is None or expires_on < today:
        raise ServiceRefusedError(
            "the contractor has no SUCAMEC authorisation in force "
            f"(expired {expires_on.isoformat() if expires_on else 'or missing'}; D.Leg. 1213)",
            "expired",
        )  # fmt: skip
    if service not in authorised:
        raise ServiceRefusedError(
            f"the contractor's SUCAMEC authorisation does not cover {service!r} "
            f"(authorised: {sorted(authorised)}; D.Leg. 1213)", "not_authorised",
        )  # fmt: skip
    return service


def days_to_expiry(expires_on: dt.date | None, today: dt.date) -> int | None:
    """Days until an authorisation expires (negative once expired), or None without one."""
    return None if expires_on is None else (expires_on - today).days
