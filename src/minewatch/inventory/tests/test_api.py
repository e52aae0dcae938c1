"""The inventory API: weighings one by one and in batches, lots with their chain, seals,
reconciliation; bad input is a 400 naming the field and changes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from minewatch.core.models import AuditEntry
from minewatch.inventory.models import Lot, SealCheck, Weighing
from minewatch.inventory.testing import make_chain, weighing


def stored():
    return (Weighing.objects.count(), SealCheck.objects.count(), AuditEntry.objects.count(),
            list(Lot.objects.order_by("pk").values_list("received_dry_t", flat=True)))  # fmt: skip


def test_weighing_created_then_repeat_answers_200_with_same_id(world, api_client):
    made = make_chain(world, "a")
    client = api_client(world.users["operator"])
    body = weighing(made["lot"], "mine_scale", made["mine_bridge"], 30.2, ticket="API-1")
    first = client.post("/api/v1/weighings/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["dry_tonnes"] == pytest.approx(30.2 * 0.92)
    again = client.post("/api/v1/weighings/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    "change,field",
    [({"wet_tonnes": -5}, "wet_tonnes"), ({"moisture_pct": 45}, "moisture_pct"),
     ({"truck": "NO-EXISTE"}, "truck"), ({"custody_point": "weighbridge_in"}, "custody_point")],
)  # fmt: skip
def test_bad_weighing_is_400_naming_field_and_nothing_changes(world, api_client, change, field):
    made = world.extra["inventory_a"]  # already weighed in: a second receipt is refused
    body = {**weighing(made["lot"], "final_receipt", made["port_bridge"], 29.0, ticket="BAD-1"),
            **change}  # fmt: skip
    before = stored()
    response = api_client(world.users["operator"]).post("/api/v1/weighings/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert stored() == before


def test_spanish_error_message_for_moisture(world, api_client):
    made = world.extra["inventory_a"]
    body = {**weighing(made["lot"], "final_receipt", made["port_bridge"], 29.0), "moisture_pct": 40}
    client = api_client(world.users["operator"])
    response = client.post("/api/v1/weighings/", body, format="json", HTTP_ACCEPT_LANGUAGE="es")
    assert "humedad" in response.json()["moisture_pct"][0]


def test_batch_stores_good_items_reports_bad_and_is_idempotent(world, api_client):
    made = make_chain(world, "a")
    lot = made["lot"]
    items = [weighing(lot, "weighbridge_out", made["mine_bridge"], 30.0, ticket="B-1"),
             {**weighing(lot, "weighbridge_in", made["port_bridge"], 29.9, ticket="B-2"),
              "moisture_pct": 31},
             weighing(lot, "final_receipt", made["port_bridge"], 29.9, ticket="B-3")]  # fmt: skip
    client = api_client(world.users["operator"])
    response = client.post("/api/v1/weighings/batch/", {"weighings": items}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["created"], body["failed"]) == (2, 1)
    assert body["results"][1]["errors"].keys() == {"moisture_pct"}
    assert Lot.objects.get(pk=lot.pk).received_dry_t == pytest.approx(29.9 * 0.92)
    items[1]["moisture_pct"] = 8
    again = client.post("/api/v1/weighings/batch/", {"weighings": items}, format="json")
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["unchanged", "created", "unchanged"]


@pytest.mark.parametrize("role,code", [("guard", 403), ("auditor", 403), ("operator", 201)])
def test_only_operating_roles_record_weighings(world, api_client, role, code):
    made = make_chain(world, "a")
    body = weighing(made["lot"], "mine_scale", made["mine_bridge"], 30.0, ticket=f"R-{role}")
    response = api_client(world.users[role]).post("/api/v1/weighings/", body, format="json")
    assert response.status_code == code


def test_lot_detail_shows_chain_and_balance(world, api_client):
    lot = world.extra["inventory_a"]["lot"]
    response = api_client(world.users["auditor"]).get(f"/api/v1/lots/{lot.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [w["custody_point"] for w in body["weighings"]] == ["weighbridge_out", "weighbridge_in"]
    assert body["difference_t"] == pytest.approx(0.92) and body["z_score"] > 3


def test_register_lot_and_refuse_unknown_truck(world, api_client):
    made = world.extra["inventory_a"]
    client = api_client(world.users["operator"])
    body = {"reference": "LOT-API-1", "product": "zinc_concentrate",
            "origin": made["lot"].origin_id, "destination": made["port"].pk,
            "truck": made["lot"].truck_id, "dispatched_at": timezone.now().isoformat(),
            "seal_numbers": ["P-1", "P-2"], "driver_name": "Juan Quispe"}  # fmt: skip
    assert client.post("/api/v1/lots/", body, format="json").status_code == 201
    other_truck = world.extra["tracking_b"]["truck"].pk
    bad = client.post("/api/v1/lots/", {**body, "reference": "LOT-API-2", "truck": other_truck},
                      format="json")  # fmt: skip
    assert bad.status_code == 400 and "truck" in bad.json()


def test_seal_check_by_api(world, api_client):
    lot = world.extra["inventory_a"]["lot"]
    client = api_client(world.users["operator"])
    response = client.post("/api/v1/seal-checks/", {
        "lot": lot.pk, "observed": [{"number": "S-a-1", "condition": "broken"}]}, format="json")  # fmt: skip
    assert response.status_code == 201
    assert {r["status"] for r in response.json()["results"]} == {"broken", "missing"}
    bad = client.post("/api/v1/seal-checks/", {"lot": lot.pk, "observed": "x"}, format="json")
    assert bad.status_code == 400 and "observed" in bad.json()


def test_reconciliation_by_route_and_contractor(world, api_client):
    month = f"{timezone.localdate():%Y-%m}"
    client = api_client(world.users["analyst"])
    response = client.get("/api/v1/inventory/reconciliation/", {"month": month})
    assert response.status_code == 200
    body = response.json()
    assert body["total"]["trips"] >= 1 and body["total"]["difference_t"] == pytest.approx(0.92)
    assert body["by_route"][0]["sigma_t"] > 0
    assert client.get("/api/v1/inventory/reconciliation/", {"month": "2026-13"}).status_code == 400
    other = api_client(world.users["b-manager"]).get("/api/v1/inventory/reconciliation/",
                                                     {"month": month}).json()  # fmt: skip
    assert other["total"]["trips"] == 1  # company B sees only its own lot
