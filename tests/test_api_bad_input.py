"""Malformed bodies get a 400 naming the field, and change nothing (#12 items 9-11)."""

from __future__ import annotations

from typing import Any

import pytest

from minewatch.alarms.models import AlarmPanel
from minewatch.alerts.models import NotificationChannel
from minewatch.incidents.models import Incident
from minewatch.tracking.models import Trip

INCIDENT_LIST_FIELDS = ("weapons", "vehicles_used", "modus_operandi_tags", "responders", "sources",
                        "linked_actors")  # fmt: skip


@pytest.mark.parametrize("field", INCIDENT_LIST_FIELDS)
def test_null_for_an_incident_list_field_is_a_400(world: Any, api_client: Any, field: str) -> None:
    client = api_client(world.users["admin"])
    incident = world.incidents["a1"]
    before = getattr(incident, field)
    as_json = client.patch(f"/api/v1/incidents/{incident.pk}/", {field: None}, format="json")
    as_form = client.patch(f"/api/v1/incidents/{incident.pk}/", {field: "null"})
    for response in (as_json, as_form):
        assert response.status_code == 400, response.content[:300]
        assert field in response.json()
    assert getattr(Incident.objects.get(pk=incident.pk), field) == before


def test_null_zone_map_of_an_alarm_panel_is_a_400(world: Any, api_client: Any) -> None:
    client = api_client(world.users["admin"])
    panel = AlarmPanel.objects.filter(organisation=world.orgs["a"]).first()
    for response in (
        client.patch(f"/api/v1/alarm-panels/{panel.pk}/", {"zone_map": None}, format="json"),
        client.patch(f"/api/v1/alarm-panels/{panel.pk}/", {"zone_map": "null"}),
    ):
        assert response.status_code == 400, response.content[:300]
        assert "zone_map" in response.json()
    assert AlarmPanel.objects.get(pk=panel.pk).zone_map == panel.zone_map


def test_null_config_of_a_notification_channel_is_a_400(world: Any, api_client: Any) -> None:
    client = api_client(world.users["admin"])
    body = {"name": "Webhook", "kind": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}}
    created = client.post("/api/v1/notification-channels/", body, format="json")
    assert created.status_code == 201, created.content[:300]
    url = f"/api/v1/notification-channels/{created.json()['id']}/"
    for response in (
        client.patch(url, {"config": None}, format="json"),
        client.patch(url, {"config": "null"}),
        client.post("/api/v1/notification-channels/", {**body, "config": None}, format="json"),
    ):
        assert response.status_code == 400, response.content[:300]
        assert "config" in response.json()
    assert NotificationChannel.objects.get(pk=created.json()["id"]).config == body["config"]


NOT_OBJECTS = ['"AAA"', "[null,null]", "[]", "5", "null", "true"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts/{alert}/create-incident/",
        "/api/v1/alerts/{alert}/police-notified/",
        "/api/v1/alerts/{alert}/attach-protocol/",
        "/api/v1/incidents/{incident}/transition/",
        "/api/v1/incidents/{incident}/dossier",
        "/api/v1/incidents/",
    ],
)
def test_a_json_body_that_is_not_an_object_is_a_400(world: Any, api_client: Any, path: str) -> None:
    client = api_client(world.users["admin"])
    url = path.format(alert=world.extra["alert_a1"].pk, incident=world.incidents["a1"].pk)
    incidents_before = Incident.objects.count()
    for body in NOT_OBJECTS:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (body, response.content[:300])
        assert response["Content-Type"].startswith("application/json")
    assert Incident.objects.count() == incidents_before


def test_a_json_body_that_is_not_an_object_is_a_400_on_updates(world: Any, api_client: Any) -> None:
    client = api_client(world.users["admin"])
    incident = world.incidents["a1"]
    for body in NOT_OBJECTS:
        response = client.patch(f"/api/v1/incidents/{incident.pk}/", body,
                                content_type="application/json")  # fmt: skip
        assert response.status_code == 400, (body, response.content[:300])


def test_patching_a_trip_with_a_vehicle_entry_missing_its_vehicle_is_a_400(
    world: Any, api_client: Any
) -> None:
    client = api_client(world.users["admin"])
    trip = world.extra["tracking_a"]["trip"]
    members = sorted(trip.members.values_list("vehicle_id", "role"))
    response = client.patch(f"/api/v1/trips/{trip.pk}/", {"vehicles": [{"role": "cargo"}]},
                            format="json")  # fmt: skip
    assert response.status_code == 400, response.content[:300]
    assert response.json()["vehicles"]["0"]["vehicle"]
    assert sorted(Trip.objects.get(pk=trip.pk).members.values_list("vehicle_id", "role")) == members


def test_patching_a_patrol_route_with_an_incomplete_checkpoint_is_a_400(
    world: Any, api_client: Any
) -> None:
    from minewatch.alarms.models import PatrolRoute

    client = api_client(world.users["admin"])
    route = PatrolRoute.objects.filter(organisation=world.orgs["a"]).first()
    count = route.checkpoints.count()
    response = client.patch(f"/api/v1/patrol-routes/{route.pk}/", {"checkpoints": [{"name": "X"}]},
                            format="json")  # fmt: skip
    assert response.status_code == 400, response.content[:300]
    assert "code" in response.json()["checkpoints"]["0"]
    assert route.checkpoints.count() == count


def test_patching_an_escalation_policy_with_an_incomplete_step_is_a_400(
    world: Any, api_client: Any
) -> None:
    client = api_client(world.users["admin"])
    step = {
        "name": "Operador",
        "recipient_roles": ["operator"],
        "channels": ["email"],
        "wait_s": 60,
    }
    created = client.post("/api/v1/escalation-policies/", {"name": "Escalera", "steps": [step]},
                          format="json")  # fmt: skip
    assert created.status_code == 201, created.content[:300]
    url = f"/api/v1/escalation-policies/{created.json()['id']}/"
    response = client.patch(url, {"steps": [{"name": "Sin canales"}]}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "channels" in response.json()["steps"]["0"]
    assert len(client.get(url).json()["steps"]) == 1


def test_a_scanned_checkpoint_stays_when_its_route_is_edited_and_cannot_be_removed(
    world: Any, api_client: Any
) -> None:
    from minewatch.alarms.models import PatrolRoute

    client = api_client(world.users["admin"])
    route = PatrolRoute.objects.filter(organisation=world.orgs["a"]).first()
    scanned = route.checkpoints.filter(scans__isnull=False).first()
    assert scanned is not None
    fields = ("code", "name", "offset_minutes", "tolerance_minutes")
    kept = [{name: getattr(c, name) for name in fields} for c in route.checkpoints.all()]
    kept[0]["name"] = "Renombrado"
    renamed = client.patch(f"/api/v1/patrol-routes/{route.pk}/", {"checkpoints": kept},
                           format="json")  # fmt: skip
    assert renamed.status_code == 200, renamed.content[:300]
    assert route.checkpoints.get(pk=scanned.pk).scans.exists()
    others = [c for c in kept if c["code"] != scanned.code] or [
        {"code": "NEW-1", "name": "Nuevo", "offset_minutes": 0, "tolerance_minutes": 10}
    ]
    removed = client.patch(f"/api/v1/patrol-routes/{route.pk}/", {"checkpoints": others},
                           format="json")  # fmt: skip
    assert removed.status_code == 400, removed.content[:300]
    assert scanned.code in removed.json()["checkpoints"][0]
    assert route.checkpoints.filter(pk=scanned.pk).exists()


@pytest.mark.parametrize("field", ["narrative", "modus_operandi", "response_notes"])
def test_free_text_over_the_maximum_is_a_400_naming_the_field(
    world: Any, api_client: Any, field: str
) -> None:
    from django.conf import settings

    limit = int(settings.TUNABLES["max_text_chars"])
    client = api_client(world.users["admin"])
    incident = world.incidents["a1"]
    before = getattr(incident, field)
    response = client.patch(f"/api/v1/incidents/{incident.pk}/", {field: "a" * (limit + 1)},
                            format="json")  # fmt: skip
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
    assert getattr(Incident.objects.get(pk=incident.pk), field) == before
    at_limit = client.patch(f"/api/v1/incidents/{incident.pk}/", {field: "a" * limit},
                            format="json")  # fmt: skip
    assert at_limit.status_code == 200, at_limit.content[:300]
