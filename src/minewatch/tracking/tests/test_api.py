"""The tracking API: tenant-scoped lists and filters, trip progress, trip actions, writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minewatch.tracking.models import Detection, Device, Position, Trip


def rows(response: Any) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


def test_devices_list_shows_last_position_plate_and_trip(world, api_client) -> None:
    client = api_client(world.users["operator"])
    devices = {d["unique_id"]: d for d in rows(client.get("/api/v1/devices/"))}
    assert set(devices) == {"TRK-A", "ESC-A"}
    truck = devices["TRK-A"]
    assert truck["vehicle_plate"] == "A1-100" and truck["trip_reference"] == "TRIP-A-1"
    assert truck["last_position"]["speed_kmh"] == 30.0
    assert truck["has_secret"] is True and truck["secret"] is None  # never shown again
    assert truck["authentication_warning"] is None and truck["accepts_unauthenticated"] is False


def test_positions_filter_by_device_and_since(world, api_client) -> None:
    client = api_client(world.users["analyst"])
    device = Device.objects.get(unique_id="TRK-A")
    everything = rows(client.get("/api/v1/positions/", {"device": device.pk}))
    assert len(everything) == 2 and {p["device_key"] for p in everything} == {"TRK-A"}
    since = (timezone.now() - dt.timedelta(seconds=90)).isoformat()
    recent = rows(client.get("/api/v1/positions/", {"device": device.pk, "since": since}))
    assert len(recent) == 1
    by_key = rows(client.get("/api/v1/positions/", {"device_key": "ESC-A"}))
    assert len(by_key) == 2


def test_positions_of_another_company_are_not_listed(world, api_client) -> None:
    other = Device.objects.get(unique_id="TRK-B")
    client = api_client(world.users["security_manager"])
    assert rows(client.get("/api/v1/positions/", {"device": other.pk})) == []
    position = Position.objects.filter(device=other).first()
    assert client.get(f"/api/v1/positions/{position.pk}/").status_code == 404


def test_detections_filter_by_kind_and_since(world, api_client) -> None:
    client = api_client(world.users["operator"])
    alarms = rows(client.get("/api/v1/detections/", {"kind": "alarm"}))
    assert [(d["kind"], d["device_key"], d["trip_reference"]) for d in alarms] == [
        ("alarm", "TRK-A", "TRIP-A-1")
    ]
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert rows(client.get("/api/v1/detections/", {"since": later})) == []
    assert client.get("/api/v1/detections/", {"kind": "nonsense"}).status_code == 400


def test_contractor_assigned_to_the_site_sees_the_convoy(world, api_client) -> None:
    client = api_client(world.users["psc-operator"])
    assert {t["reference"] for t in rows(client.get("/api/v1/trips/"))} == {"TRIP-A-1"}
    assert {d["unique_id"] for d in rows(client.get("/api/v1/devices/"))} == {"TRK-A", "ESC-A"}
    seen = {d["id"] for d in rows(client.get("/api/v1/detections/"))}
    owner = api_client(world.users["security_manager"])
    assert seen and seen == {d["id"] for d in rows(owner.get("/api/v1/detections/"))}


def test_trip_shows_progress_eta_fix_age_escort_distance_and_cargo(world, api_client) -> None:
    client = api_client(world.users["operator"])
    trip = rows(client.get("/api/v1/trips/", {"status": "en_route"}))[0]
    assert trip["reference"] == "TRIP-A-1" and trip["route_name"] == "Las Bambas → Espinar"
    assert trip["progress_pct"] == 0.0 and trip["distance_left_m"] > 100_000
    assert trip["eta"] is not None and trip["last_fix_age_s"] >= 60
    assert trip["escort_distance_m"] == 0
    assert (trip["cargo_material"], trip["cargo_tonnes"]) == ("concentrado de cobre", 30.5)
    assert trip["seal_numbers"] == ["SEAL-a-1", "SEAL-a-2"]
    assert {(v["plate"], v["role"]) for v in trip["vehicles"]} == {
        ("A1-100", "cargo"), ("A1-200", "escort")
    }  # fmt: skip
    assert "alarm" in [d["kind"] for d in trip["detections"]]


def test_trip_workflow_arrive_then_no_more_steps(world, api_client) -> None:
    client = api_client(world.users["operator"])
    trip = world.extra["tracking_a"]["trip"]
    response = client.post(f"/api/v1/trips/{trip.pk}/arrive/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "arrived"
    again = client.post(f"/api/v1/trips/{trip.pk}/abort/", {"reason": "x"}, format="json")
    assert again.status_code == 409 and "status" in again.json()


def test_abort_needs_a_reason_and_guards_cannot(world, api_client) -> None:
    trip = world.extra["tracking_a"]["trip"]
    guard = api_client(world.users["guard"])
    assert guard.post(f"/api/v1/trips/{trip.pk}/abort/", {"reason": "x"}).status_code == 403
    operator = api_client(world.users["operator"])
    response = operator.post(f"/api/v1/trips/{trip.pk}/abort/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = operator.post(f"/api/v1/trips/{trip.pk}/abort/", {"reason": "bloqueo de vía"})
    assert response.status_code == 200
    assert Trip.objects.get(pk=trip.pk).abort_reason == "bloqueo de vía"


def test_plan_and_start_a_trip_through_the_api(world, api_client) -> None:
    client = api_client(world.users["operator"])
    made = world.extra["tracking_a"]
    body = {"reference": "TRIP-A-2", "route": world.routes["a"].pk, "site": world.sites["a1"].pk,
            "cargo_material": "concentrado de zinc", "cargo_tonnes": 28, "declared_value_usd": "90000.00",
            "seal_numbers": ["S-9"], "vehicles": [{"vehicle": made["truck"].pk, "role": "cargo"}]}  # fmt: skip
    created = client.post("/api/v1/trips/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "planned"
    started = client.post(f"/api/v1/trips/{created.json()['id']}/start/", {}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "en_route"


@pytest.mark.parametrize(
    "body,field",
    [
        (
            {
                "reference": "T-X",
                "arrival_before": "2020-01-01T00:00:00Z",
                "departure_after": "2021-01-01T00:00:00Z",
            },
            "arrival_before",
        ),  # fmt: skip
        ({"reference": "TRIP-A-1"}, "reference"),
        ({"reference": "T-Y", "cargo_tonnes": -3}, "cargo_tonnes"),
        ({"reference": "T-Z", "route": "OTHER"}, "route"),
    ],
)
def test_bad_trip_input_names_the_field_and_stores_nothing(world, api_client, body, field) -> None:
    if body.get("route") == "OTHER":
        body["route"] = world.routes["b"].pk  # another company's route reads as unknown
    client = api_client(world.users["operator"])
    before = Trip.objects.count()
    response = client.post("/api/v1/trips/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Trip.objects.count() == before


def test_device_registration_refuses_a_taken_identifier_and_foreign_vehicle(
    world, api_client
) -> None:
    client = api_client(world.users["security_manager"])
    taken = client.post("/api/v1/devices/", {"unique_id": "TRK-B"}, format="json")
    assert taken.status_code == 400 and "unique_id" in taken.json()
    foreign = world.extra["tracking_b"]["truck"].pk
    response = client.post("/api/v1/devices/", {"unique_id": "NEW-1", "vehicle": foreign})
    assert response.status_code == 400 and "vehicle" in response.json()
    ok = client.post("/api/v1/devices/", {"unique_id": "NEW-1"})
    assert ok.status_code == 201 and ok.json()["has_secret"] is True
    secret = ok.json()["secret"]  # shown once, at creation
    assert len(secret) >= 32
    assert client.get(f"/api/v1/devices/{ok.json()['id']}/").json()["secret"] is None
    operator = api_client(world.users["operator"])
    assert operator.post("/api/v1/devices/", {"unique_id": "NEW-2"}).status_code == 403


def test_device_secret_is_stored_hashed_and_rotated_through_the_api(world, api_client) -> None:
    from minewatch.tracking.credentials import secret_matches
    from minewatch.tracking.models import Device

    manager = api_client(world.users["security_manager"])
    created = manager.post("/api/v1/devices/", {"unique_id": "ROT-1"}).json()
    device = Device.objects.get(pk=created["id"])
    assert created["secret"] not in device.secret_hash
    assert secret_matches(created["secret"], device.secret_hash)
    url = f"/api/v1/devices/{device.pk}/rotate-secret/"
    assert api_client(world.users["operator"]).post(url).status_code == 403
    assert api_client(world.users["b-manager"]).post(url).status_code == 404
    rotated = manager.post(url)
    assert rotated.status_code == 200 and rotated.json()["secret"] != created["secret"]
    device.refresh_from_db()
    assert secret_matches(rotated.json()["secret"], device.secret_hash)
    assert not secret_matches(created["secret"], device.secret_hash)
    legacy = manager.patch(f"/api/v1/devices/{device.pk}/", {"accepts_unauthenticated": True},
                           format="json")  # fmt: skip
    assert legacy.status_code == 200 and legacy.json()["authentication_warning"]


def test_ingest_rejections_are_counted_per_tenant(world, api_client) -> None:
    client = api_client(world.users["operator"])
    counters = rows(client.get("/api/v1/ingest-rejections/"))
    assert [(c["device_key"], c["reason"], c["field"], c["count"]) for c in counters] == [
        ("TRK-A", "malformed", "lat", 1)
    ]


def test_detection_rows_carry_evidence_times(world) -> None:
    detection = Detection.objects.get(device__unique_id="TRK-A", kind="alarm")
    assert detection.evidence_times and detection.site_id == world.sites["a1"].pk


def test_cli_rotates_a_secret_and_prints_it_once(world) -> None:
    from typer.testing import CliRunner

    from minewatch.cli import app
    from minewatch.tracking.credentials import secret_matches
    from minewatch.tracking.models import Device

    runner = CliRunner()
    result = runner.invoke(app, ["tracking", "rotate-secret", "TRK-A"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.split("(shown once): ")[1].split()[0]
    assert f"TRK-A:{secret}" in result.stdout
    assert secret_matches(secret, Device.objects.get(unique_id="TRK-A").secret_hash)
    legacy = runner.invoke(app, ["tracking", "rotate-secret", "TRK-A", "--legacy"])
    assert legacy.exit_code == 0 and "legacy" in legacy.output
    assert Device.objects.get(unique_id="TRK-A").accepts_unauthenticated
    unknown = runner.invoke(app, ["tracking", "rotate-secret", "NOPE"])
    assert unknown.exit_code == 2 and "unique_id" in unknown.output
