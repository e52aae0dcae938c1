"""The bundled response-protocol catalogue."""

from __future__ import annotations

import pytest

from minewatch.alerts.engine.protocols_catalog import (
    REQUIRED_INCIDENT_TYPES,
    load_response_protocols,
    parse_response_protocols,
)


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
