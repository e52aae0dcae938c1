"""What each alert kind suggests: threat, incident type and checklist (#12 item 19)."""

from __future__ import annotations

import pytest

from minewatch.alerts import services
from minewatch.alerts.choices import KIND_LABELS
from minewatch.alerts.engine.protocols_catalog import load_response_protocols
from minewatch.alerts.engine.suggestions import SUGGESTIONS, suggestion_for
from minewatch.alerts.models import EscalationPolicy
from minewatch.alerts.services.config import ACCOUNTABILITY_LADDER
from minewatch.alerts.testing import make_input
from minewatch.core.errors import InvalidInput
from minewatch.incidents.taxonomy import TYPES_BY_CODE
from minewatch.tracking.choices import DetectionKind


@pytest.mark.parametrize("kind", [*KIND_LABELS, *DetectionKind.values])
def test_every_alert_kind_is_in_the_one_table(kind: str) -> None:
    assert kind in SUGGESTIONS


@pytest.mark.parametrize("kind", sorted(SUGGESTIONS))
def test_each_suggestion_names_a_real_type_and_protocol(kind: str) -> None:
    suggestion = suggestion_for(kind)
    assert suggestion.incident_type == "" or suggestion.incident_type in TYPES_BY_CODE
    if suggestion.protocol:
        assert suggestion.protocol in load_response_protocols()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "threat", "incident_type", "protocol"),
    [
        ("alarm.fire", "social_conflict", "property_damage", "fire_alarm"),
        ("alarm.tamper", "terrorism", "sabotage", "alarm_tamper"),
        ("alarm.burglary", "illegal_mining", "concession_invasion", "concession_invasion"),
        ("alarm.panic", "organised_crime", "robbery_cash_valuables", "panic"),
    ],
)
def test_sensor_alert_carries_the_suggested_threat_type_and_checklist(
    world, kind, threat, incident_type, protocol
) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], kind=kind, severity=4))[0]
    assert (alert.threat, alert.incident_type) == (threat, incident_type)
    assert alert.checklists.get().protocol.code == protocol


@pytest.mark.django_db
def test_threat_specific_ladder_matches_a_camera_alert(world) -> None:
    manager = world.users["security_manager"]
    ladder = services.save_escalation_policy(
        actor=manager, organisation=world.orgs["a"], name="Minería ilegal",
        threats=["illegal_mining"], steps=[{"name": "Jefe", "channels": ["inapp"],
                                            "recipient_roles": ["security_manager"]}],
    )  # fmt: skip
    alert = services.raise_alert(
        make_input(world.sites["a1"], kind="camera.intrusion", source="camera")
    )[0]
    assert alert.policy == ladder
    general = EscalationPolicy.objects.filter(organisation=world.orgs["a"]).exclude(
        name=ACCOUNTABILITY_LADDER[0]  # the managers' ladder for accountability findings
    )
    assert general.count() == 2


@pytest.mark.django_db
def test_alert_without_a_type_asks_for_one_when_creating_the_incident(world, api_client) -> None:
    alert = services.raise_manual_alert(actor=world.users["operator"], title="Algo raro",
                                        severity=3, kind="manual", site=world.sites["a1"])  # fmt: skip
    assert alert.incident_type == ""
    with pytest.raises(InvalidInput) as error:
        services.create_incident_from_alert(alert, actor=world.users["operator"])
    assert error.value.field == "incident_type"
    client = api_client(world.users["operator"])
    refused = client.post(f"/api/v1/alerts/{alert.pk}/create-incident/", {}, format="json")
    assert refused.status_code == 400 and "incident_type" in refused.json()
    created = client.post(f"/api/v1/alerts/{alert.pk}/create-incident/",
                          {"incident_type": "ore_theft"}, format="json")  # fmt: skip
    assert created.status_code == 201
    assert (created.json()["incident_type"], created.json()["threat"]) == (
        "ore_theft", "illegal_mining")  # fmt: skip


@pytest.mark.django_db
def test_operator_changes_the_suggested_type_when_creating_the_incident(world, api_client) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], kind="alarm.fire", severity=4))[0]
    response = api_client(world.users["operator"]).post(
        f"/api/v1/alerts/{alert.pk}/create-incident/", {"incident_type": "sabotage"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["incident_type"], response.json()["threat"]) == (
        "sabotage",
        "terrorism",
    )


def test_the_docs_page_lists_every_kind_of_the_table() -> None:
    from pathlib import Path

    page = Path(__file__).resolve().parents[4] / "docs" / "alert-kinds.md"
    text = page.read_text(encoding="utf-8")
    for kind, suggestion in SUGGESTIONS.items():
        assert f"| `{kind}` |" in text
        if suggestion.incident_type:
            assert f"`{suggestion.incident_type}`" in text
