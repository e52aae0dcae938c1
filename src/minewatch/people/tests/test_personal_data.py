"""Ley 29733: personal data per role, and tenancy (another company's person is a 404)."""

import pytest

from minewatch.people.api import PERSONAL_FIELDS

SEES = {"admin": True, "security_manager": True, "analyst": False, "operator": False,
        "guard": False, "liaison": False, "auditor": False}  # fmt: skip
RECORD_URLS = ("/api/v1/vetting-records/", "/api/v1/licences/", "/api/v1/training-records/")


@pytest.mark.parametrize("role", sorted(SEES))
def test_person_fields_per_role(world, api_client, role):
    guard = world.extra["people_a"]["guard"]
    response = api_client(world.users[role]).get(f"/api/v1/people/{guard.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Juan Quispe Mamani" and body["cleared"] is True
    for name in PERSONAL_FIELDS:
        assert (name in body) is SEES[role], name
    if SEES[role]:
        assert body["document_number"] == "10000001" and body["phone"] == "+51987654321"


@pytest.mark.parametrize("role", sorted(SEES))
def test_not_cleared_never_says_why_to_other_roles(world, api_client, role):
    staff = world.extra["people_a"]["staff"]
    rows = api_client(world.users[role]).get("/api/v1/people/").json()["results"]
    row = next(r for r in rows if r["id"] == staff.pk)
    assert row["cleared"] is False
    assert ("vetting_status" in row) is SEES[role]
    assert "missing" not in str(row) or SEES[role]


@pytest.mark.parametrize("role", sorted(SEES))
@pytest.mark.parametrize("url", RECORD_URLS)
def test_records_only_for_personal_data_roles(world, api_client, role, url):
    guard = world.extra["people_a"]["guard"]
    client = api_client(world.users[role])
    response = client.get(url)
    if SEES[role]:
        assert response.status_code == 200
        assert {r["person"] for r in response.json()["results"]} == {guard.pk}
    else:
        assert response.status_code == 403
    record_id = type(guard).objects.get(pk=guard.pk).vetting.first().pk
    detail = client.get(f"/api/v1/vetting-records/{record_id}/")
    assert detail.status_code == (200 if SEES[role] else 403)


def test_other_company_sees_nothing_and_gets_404(world, api_client):
    a_guard = world.extra["people_a"]["guard"]
    b_client = api_client(world.users["b-manager"])
    ids = {r["id"] for r in b_client.get("/api/v1/people/").json()["results"]}
    assert ids == {world.extra["people_b"]["guard"].pk}
    assert b_client.get(f"/api/v1/people/{a_guard.pk}/").status_code == 404
    assert b_client.patch(f"/api/v1/people/{a_guard.pk}/", {"name": "x"},
                          format="json").status_code == 404  # fmt: skip
    records = b_client.get("/api/v1/vetting-records/").json()["results"]
    assert a_guard.pk not in {r["person"] for r in records}
    response = b_client.post("/api/v1/vetting-records/", {
        "person": a_guard.pk, "kind": "polygraph", "date": "2026-01-01", "result": "failed",
    }, format="json")  # fmt: skip
    assert response.status_code == 400 and "person" in response.json()


def test_contractor_sees_its_own_staff_only(world, api_client):
    ids = {r["id"] for r in api_client(world.users["psc-operator"]).get("/api/v1/people/")
           .json()["results"]}  # fmt: skip
    assert ids == {world.extra["people_a"]["guard"].pk}
    assert api_client(world.users["psc2-operator"]).get("/api/v1/people/").json()["results"] == []


@pytest.mark.parametrize("role", ["analyst", "operator", "guard", "liaison", "auditor"])
def test_only_managers_write_personnel(world, api_client, role):
    response = api_client(world.users[role]).post(
        "/api/v1/people/", {"name": "X", "document_number": "45678912", "role": "guard"},
        format="json")  # fmt: skip
    assert response.status_code == 403
