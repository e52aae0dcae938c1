"""The bundled response-protocol catalogue."""

from __future__ import annotations

import pytest

from minewatch.alerts.engine.protocols_catalog import (
    REQUIRED_INCIDENT_TYPES,
    load_response_protocols,
    parse_response_protocols,
)
from minewatch.incidents.taxonomy import INCIDENT_TYPES, TYPES_BY_CODE


def test_catalogue_covers_every_required_incident_type() -> None:
    assert set(REQUIRED_INCIDENT_TYPES) <= set(load_response_protocols())


@pytest.mark.parametrize("incident_type", REQUIRED_INCIDENT_TYPES)
def test_each_protocol_reaches_the_police_within_four_hours(incident_type: str) -> None:
    steps = load_response_protocols()[incident_type].steps
    police = [s for s in steps if "PNP" in s.es and s.within_minutes <= 240]
    assert police, f"{incident_type} has no step naming the PNP within 4 h"


def test_invasion_protocol_follows_the_seed() -> None:
    text = " ".join(s.en.lower() for s in load_response_protocols()["concession_invasion"].steps)
    for phrase in ("protect personnel", "internal emergency communication", "pnp", "evidence"):
        assert phrase in text
    assert "do not use firearms" in text


def test_extortion_protocol_says_do_not_pay_and_preserve_messages() -> None:
    text = " ".join(s.en.lower() for s in load_response_protocols()["extortion"].steps)
    assert "do not pay" in text and "preserve messages" in text and "report to the pnp" in text


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"code": "X", "es": "a", "en": "a", "role": "janitor", "within_minutes": 5}, "role"),
        ({"code": "X", "es": "a", "en": "a", "role": "guard", "within_minutes": 0}, "minutes"),
        ({"code": "X", "es": "a", "role": "guard", "within_minutes": 5}, "'en'"),
    ],
)
def test_bad_step_is_refused(step: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_response_protocols({"t": {"title_es": "t", "title_en": "t", "steps": [step]}})


@pytest.mark.parametrize("kind", INCIDENT_TYPES, ids=lambda kind: kind.code)
def test_every_incident_type_has_a_protocol_with_steps_in_both_languages(kind) -> None:
    assert kind.protocol, f"{kind.code} names no response protocol"
    protocol = load_response_protocols()[kind.protocol]
    assert protocol.title_es.strip() and protocol.title_en.strip()
    assert len(protocol.steps) >= 3
    for step in protocol.steps:
        assert step.es.strip() and step.en.strip() and step.es != step.en, step.code


@pytest.mark.parametrize("kind", INCIDENT_TYPES, ids=lambda kind: kind.code)
def test_every_protocol_says_when_the_police_or_the_prosecutor_are_told(kind) -> None:
    steps = load_response_protocols()[kind.protocol].steps
    assert any("PNP" in s.es or "Fiscalía" in s.es for s in steps), kind.code
    assert any("PNP" in s.en or "prosecutor" in s.en for s in steps), kind.code


@pytest.mark.parametrize(
    ("incident_type", "authority"),
    [
        ("explosives_theft", "SUCAMEC"),
        ("environmental_damage", "OEFA"),
        ("environmental_damage", "ANA"),
        ("protest", "relaciones comunitarias"),
        ("staff_retention", "Defensoría del Pueblo"),
        ("sabotage", "DIRCOTE"),
        ("supply_chain_infiltration", "UIF-Perú"),
        ("homicide", "fiscal"),
    ],
)
def test_protocol_calls_the_authority_peruvian_practice_names(incident_type, authority) -> None:
    kind = TYPES_BY_CODE[incident_type]
    text = " ".join(s.es for s in load_response_protocols()[kind.protocol].steps)
    assert authority in text


@pytest.mark.django_db
def test_every_organisation_gets_a_protocol_for_every_type(world) -> None:
    from minewatch.alerts.services.protocols import protocol_for

    missing = [t.code for t in INCIDENT_TYPES if protocol_for(world.orgs["a"].pk, t.code) is None]
    assert missing == []
