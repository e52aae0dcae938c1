"""The grievance API: who sees the complainant, what a contractor sees, bad input → 400."""

from __future__ import annotations

import pytest

from minewatch.accountability.models import Grievance

pytestmark = pytest.mark.django_db

URL = "/api/v1/grievances/"


@pytest.mark.parametrize(
    ("user", "sees_identity"),
    [
        ("liaison", True),
        ("security_manager", True),
        ("admin", False),
        ("analyst", False),
        ("operator", False),
        ("auditor", False),
    ],
)
def test_complainant_identity_only_for_liaison_and_security_manager(
    world, api_client, user, sees_identity
) -> None:
    grievance = world.extra["grievance_a"]
    body = api_client(world.users[user]).get(f"{URL}{grievance.pk}/").json()
    assert body["reference"] == grievance.reference
    assert ("complainant_name" in body) is sees_identity
    assert ("tracking_code" in body) is sees_identity
    if sees_identity:
        assert body["complainant_name"] == "Rosa Quispe"


def test_contractor_sees_grievances_about_its_personnel_without_identity(world, api_client) -> None:
    client = api_client(world.users["psc-operator"])
    rows = client.get(URL).json()["results"]
    assert [row["reference"] for row in rows] == [world.extra["grievance_a"].reference]
    assert "complainant_name" not in rows[0] and "complainant_contact" not in rows[0]
    assert api_client(world.users["psc2-operator"]).get(URL).json()["results"] == []


def test_other_company_and_anonymous_see_nothing(world, api_client) -> None:
    grievance = world.extra["grievance_a"]
    assert api_client(world.users["b-manager"]).get(f"{URL}{grievance.pk}/").status_code == 404
    assert api_client(None).get(URL).status_code in (401, 403)


def test_the_audit_log_hides_the_identity_from_other_roles(world, api_client) -> None:
    grievance = world.extra["grievance_a"]
    url = f"/api/v1/audit/?object_type=accountability.grievance&object_id={grievance.pk}"
    auditor = api_client(world.users["auditor"]).get(url)
    assert auditor.status_code == 200 and auditor.json()["count"] >= 1
    assert "Rosa Quispe" not in auditor.content.decode()
    assert grievance.tracking_code not in auditor.content.decode()
    manager = api_client(world.users["security_manager"]).get(url)
    assert "Rosa Quispe" in manager.content.decode()


def test_liaison_files_and_works_a_grievance_through_the_api(world, api_client) -> None:
    client = api_client(world.users["liaison"])
    created = client.post(URL, {"channel": "letter", "category": "land_water",
                                "description": "Agua turbia en el canal", "place_name": "Canal Alto",
                                "contractor": world.orgs["psc"].pk}, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["is_anonymous"] is True
    step = client.post(f"{URL}{pk}/acknowledge/", {"note": "Carta respondida"}, format="json")
    assert step.status_code == 200 and step.json()["status"] == "acknowledged"
    step = client.post(f"{URL}{pk}/assign/", {"assigned_to": world.users["liaison"].pk},
                       format="json")  # fmt: skip
    assert step.json()["status"] == "under_review"
    step = client.post(f"{URL}{pk}/respond/", {"response": "Se limpió el canal",
                                               "outcome": "upheld"}, format="json")  # fmt: skip
    assert step.json()["status"] == "response_given"
    step = client.post(f"{URL}{pk}/appeal/", {"reason": "Sigue turbia"}, format="json")
    assert step.json()["status"] == "appealed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "letter", "category": "riot", "description": "x", "place_name": "y"},
         "category"),
        ({"channel": "telepathy", "category": "other", "description": "x", "place_name": "y"},
         "channel"),
        ({"channel": "call", "category": "other", "description": "", "place_name": "y"},
         "description"),
        ({"channel": "call", "category": "other", "description": "x", "place_name": "y",
          "contractor": 999999}, "contractor"),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_naming_the_field(world, api_client, body, field) -> None:
    before = Grievance.objects.count()
    response = api_client(world.users["liaison"]).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Grievance.objects.count() == before


def test_appeal_of_an_open_grievance_is_a_400_naming_status_and_the_rule(world, api_client) -> None:
    grievance = world.extra["grievance_a"]
    response = api_client(world.users["liaison"]).post(f"{URL}{grievance.pk}/appeal/",
                                                       {"reason": "apelo"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "ICoC" in response.json()["status"][0] and "67" in response.json()["status"][0]
    grievance.refresh_from_db()
    assert grievance.status == "received"


def test_roles_without_community_cannot_work_grievances(world, api_client) -> None:
    grievance = world.extra["grievance_a"]
    for user in ("operator", "auditor", "psc-operator"):
        response = api_client(world.users[user]).post(f"{URL}{grievance.pk}/acknowledge/", {})
        assert response.status_code in (403, 404), user
    grievance.refresh_from_db()
    assert grievance.status == "received"


def test_spanish_error_for_an_appeal(world, api_client) -> None:
    grievance = world.extra["grievance_a"]
    client = api_client(world.users["liaison"])
    response = client.post(f"{URL}{grievance.pk}/appeal/", {"reason": "apelo"}, format="json",
                           HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert "Solo se puede apelar" in response.json()["status"][0]
