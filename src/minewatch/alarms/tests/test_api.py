"""The alarms API and the guard's phone page."""

from __future__ import annotations

import pytest

from minewatch.alarms import services
from minewatch.alarms.models import AlarmPanel, CheckpointScan
from minewatch.alarms.testing import frigate_message

pytestmark = pytest.mark.django_db


def test_guard_posts_a_scan_code(world, api_client) -> None:
    client = api_client(world.users["guard"])
    response = client.post("/api/v1/checkpoint-scans/", {"code": "a1-CP2", "lat": -7.7, "lon": -77.5},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert (response.json()["checkpoint_code"], response.json()["tour"]) == (
        "a1-CP2", world.extra["scan_a1"].tour_id)  # fmt: skip


@pytest.mark.parametrize("body, field", [({}, "code"), ({"code": "NOPE"}, "code"),
                                         ({"code": "a1-CP1", "lat": 91}, "lat")])  # fmt: skip
def test_bad_scan_is_refused_naming_the_field_and_nothing_stored(
    world, api_client, body, field
) -> None:
    before = CheckpointScan.objects.count()
    response = api_client(world.users["guard"]).post(
        "/api/v1/checkpoint-scans/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert CheckpointScan.objects.count() == before


def test_auditor_cannot_scan(world, api_client) -> None:
    response = api_client(world.users["auditor"]).post("/api/v1/checkpoint-scans/", {"code": "a1-CP2"},
                                                       format="json")  # fmt: skip
    assert response.status_code == 403


def test_phone_page_records_a_scan(world, client) -> None:
    client.force_login(world.users["guard"])
    page = client.get("/alarms/scan/?code=a1-CP2")
    assert page.status_code == 200 and b'value="a1-CP2"' in page.content
    posted = client.post("/alarms/scan/", {"code": "a1-CP2", "lat": "-7.73", "lon": "-77.52"})
    assert posted.status_code == 302
    assert CheckpointScan.objects.filter(checkpoint__code="a1-CP2").exists()
    bad = client.post("/alarms/scan/", {"code": "nope"})
    assert bad.status_code == 400


def test_manager_registers_a_panel_and_the_key_is_never_shown(world, api_client) -> None:
    client = api_client(world.users["security_manager"])
    body = {"site": world.sites["a2"].pk, "name": "Garita 2", "account": "abc123",
            "key": "0123456789ABCDEF", "max_silence_s": 900}  # fmt: skip
    response = client.post("/api/v1/alarm-panels/", body, format="json")
    assert response.status_code == 201, response.json()
    assert "key" not in response.json() and response.json()["has_key"] is True
    assert AlarmPanel.objects.get(account="ABC123").key == "0123456789ABCDEF"
    again = client.post("/api/v1/alarm-panels/", body, format="json")
    assert again.status_code == 400 and "account" in again.json()
    foreign = client.post("/api/v1/alarm-panels/", {**body, "account": "ABC9", "site": world.sites["b1"].pk},
                          format="json")  # fmt: skip
    assert foreign.status_code == 400 and "site" in foreign.json()


def test_intrusion_snapshot_is_downloadable_from_the_alert(world, api_client) -> None:
    record = services.handle_frigate_message(frigate_message("cam_a1", event_id="snap-1"))
    services.attach_snapshot("cam_a1", "person", b"\xff\xd8\xff\xdb" + b"\x02" * 32)
    client = api_client(world.users["operator"])
    response = client.get(f"/api/v1/alerts/{record.alert_id}/snapshot/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    other = api_client(world.users["b-manager"]).get(f"/api/v1/alerts/{record.alert_id}/snapshot/")
    assert other.status_code == 404
