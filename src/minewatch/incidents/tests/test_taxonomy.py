"""The taxonomy matches SPEC: five threats, every listed type, mappings present."""

from __future__ import annotations

import pytest

from minewatch.incidents import taxonomy

SPEC_TYPES = {
    "terrorism": {"armed_attack", "ambush", "sabotage", "explosives_theft",
                  "attack_on_infrastructure", "terrorist_extortion"},
    "social_conflict": {"protest", "road_blockade", "occupation_of_facilities", "staff_retention",
                        "property_damage", "violent_clash"},
    "illegal_mining": {"concession_invasion", "illegal_extraction", "ore_theft",
                       "armed_confrontation", "supply_chain_infiltration", "environmental_damage"},
    "organised_crime": {"extortion", "protection_payment_demand", "threat_intimidation",
                        "concentrate_theft", "cargo_hijacking", "convoy_attack",
                        "mineral_trafficking", "robbery_cash_valuables", "kidnapping", "homicide",
                        "assassination", "infiltration_company_contractor"},
    "internal": {"internal_theft", "fraud", "unauthorised_access", "policy_breach"},
}  # fmt: skip

ACLED_EVENT_TYPES = {
    "Battles", "Violence against civilians", "Explosions/Remote violence", "Riots", "Protests",
    "Strategic developments",
}  # fmt: skip
GTD_ATTACK_TYPES = {
    "Assassination", "Armed Assault", "Bombing/Explosion", "Hijacking",
    "Hostage Taking (Barricade Incident)", "Hostage Taking (Kidnapping)",
    "Facility/Infrastructure Attack", "Unarmed Assault", "Unknown", "Not applicable",
}  # fmt: skip


def test_threats_and_types_match_the_spec() -> None:
    assert {t.code for t in taxonomy.THREATS} == set(SPEC_TYPES)
    for threat, types in SPEC_TYPES.items():
        assert {t.code for t in taxonomy.types_of(threat)} == types


@pytest.mark.parametrize("kind", taxonomy.INCIDENT_TYPES, ids=lambda k: k.code)
def test_every_type_has_severity_labels_and_mappings(kind: taxonomy.IncidentType) -> None:
    assert 1 <= kind.default_severity <= 5
    assert kind.label_es and kind.label_en and kind.label_es != kind.code
    assert kind.acled_event_type in ACLED_EVENT_TYPES
    assert kind.acled_sub_event_type
    assert kind.gtd_attack_type in GTD_ATTACK_TYPES
    assert kind.stix_type in {"attack-pattern", "observed-data"}


def test_unknown_type_and_threat_raise_value_error() -> None:
    with pytest.raises(ValueError, match="unknown incident type"):
        taxonomy.threat_of("nope")
    with pytest.raises(ValueError, match="unknown threat"):
        taxonomy.types_of("nope")
