"""Personnel through the API: documents checked, records, status, settings."""

import datetime as dt

import pytest
from django.utils import timezone
from stdnum.pe import cui as dni  # the DNI number is the CUI

from minewatch.core.models import AuditEntry
from minewatch.people.models import Person, VettingRecord
from minewatch.people.testing import make_cleared


def person_body(world, **values):
    body = {"name": "Carlos Ramos", "document_type": "dni", "document_number": "45678912",
            "role": "guard", "employer": world.orgs["psc"].pk, "phone": "+51 987 111 222",
            "home_ubigeo": "130801", "badge_number": "a-777"}  # fmt: skip
    body.update(values)
    return body


def test_manager_registers_a_person_audited_and_incomplete(world, api_client):
    client = api_client(world.users["security_manager"])
    response = client.post("/api/v1/people/", person_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["badge_number"] == "A777" and body["phone"] == "+51987111222"
    assert body["employer_name"] == world.orgs["psc"].name
    assert body["cleared"] is False
    assert body["vetting_status"]["state"] == "incomplete"
    assert "missing:police_record" in body["vetting_status"]["reasons"]
    assert AuditEntry.objects.filter(
        object_type="people.person", object_id=str(body["id"])
    ).exists()


def test_dni_check_digit_is_validated_when_given(world, api_client):
    client = api_client(world.users["security_manager"])
    number = "45678913"
    good = number + dni.calc_check_digits(number)[0]
    response = client.post("/api/v1/people/", person_body(world, document_number=good),
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["document_number"] == number
    wrong = number + ("0" if good[-1] != "0" else "1")
    before = Person.objects.count()
    response = client.post("/api/v1/people/", person_body(world, document_number=wrong,
                                                          badge_number=""), format="json")  # fmt: skip
    assert response.status_code == 400 and "document_number" in response.json()
    assert Person.objects.count() == before


@pytest.mark.parametrize(
    "values,field",
    [({"document_number": "1234"}, "document_number"),
     ({"document_type": "ce", "document_number": "12"}, "document_number"),
     ({"document_type": "passport"}, "document_type"), ({"role": "pilot"}, "role"),
     ({"home_ubigeo": "13080"}, "home_ubigeo"), ({"phone": "call me"}, "phone"),
     ({"name": " "}, "name"), ({"employer": -1}, "employer"),
     ({"document_number": "10000001"}, "document_number"), ({"badge_number": "A-001"}, "badge_number")],
)  # fmt: skip
def test_bad_person_is_400_naming_the_field(world, api_client, values, field):
    before = Person.objects.count()
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/people/", person_body(world, **values), format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Person.objects.count() == before


def test_employer_must_be_a_contractor_of_the_company(world, api_client):
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/people/", person_body(world, employer=world.orgs["psc2"].pk), format="json"
    )
    assert response.status_code == 400 and "employer" in response.json()


def test_carne_de_extranjeria_is_accepted(world, api_client):
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/people/", person_body(world, document_type="ce", document_number="001234567"),
        format="json")  # fmt: skip
    assert response.status_code == 201, response.content


def test_records_make_a_person_cleared_then_expired(world, api_client):
    manager = world.users["security_manager"]
    client = api_client(manager)
    person_id = client.post("/api/v1/people/", person_body(world), format="json").json()["id"]
    person = Person.objects.get(pk=person_id)
    make_cleared(manager, person)
    assert client.get(f"/api/v1/people/{person_id}/").json()["vetting_status"]["state"] == "cleared"
    today = timezone.localdate()
    response = client.post("/api/v1/vetting-records/", {
        "person": person_id, "kind": "police_record", "date": str(today - dt.timedelta(days=400)),
        "result": "clear", "expires_on": str(today - dt.timedelta(days=1)),
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    # The older police record does not replace the newer one...
    assert client.get(f"/api/v1/people/{person_id}/").json()["cleared"] is True
    response = client.post("/api/v1/vetting-records/", {
        "person": person_id, "kind": "polygraph", "date": str(today), "result": "failed",
        "issuing_body": "Poligrafía SAC", "reviewer": "J. Díaz",
    }, format="json")  # fmt: skip
    body = client.get(f"/api/v1/people/{person_id}/").json()
    assert body["cleared"] is False and body["vetting_status"]["state"] == "failed"
    assert body["vetting_status"]["reasons"] == ["failed:polygraph"]


def test_expiring_vetting_is_shown_as_expiring(world, api_client):
    guard = world.extra["people_a"]["guard"]
    make_cleared(world.users["security_manager"], guard, days_ago=1, expires_in=5)
    body = api_client(world.users["security_manager"]).get(f"/api/v1/people/{guard.pk}/").json()
    assert body["vetting_status"]["state"] == "expiring" and body["cleared"] is True


@pytest.mark.parametrize(
    "url,values,field",
    [("/api/v1/vetting-records/", {"kind": "police_record", "date": "2026-01-10",
      "result": "clear", "expires_on": "2026-01-01"}, "expires_on"),
     ("/api/v1/vetting-records/", {"kind": "horoscope", "date": "2026-01-10", "result": "clear"},
      "kind"),
     ("/api/v1/vetting-records/", {"kind": "polygraph", "date": "yesterday", "result": "clear"},
      "date"),
     ("/api/v1/vetting-records/", {"kind": "polygraph", "date": "2026-01-01", "result": "ok"},
      "result"),
     ("/api/v1/licences/", {"number": "L-1", "issued_on": "2026-01-10", "expires_on": "2025-01-01"},
      "expires_on"),
     ("/api/v1/licences/", {"number": "", "issued_on": "2026-01-10", "expires_on": "2027-01-01"},
      "number"),
     ("/api/v1/training-records/", {"kind": "first_aid", "date": "2026-01-10", "hours": "-3"},
      "hours"),
     ("/api/v1/person-assignments/", {"site": 0, "shift_start": "06:00", "shift_end": "18:00"},
      "site"),
     ("/api/v1/person-assignments/", {"site": None, "shift_start": "6am", "shift_end": "18:00"},
      "shift_start")],
)  # fmt: skip
def test_bad_record_is_400_naming_the_field(world, api_client, url, values, field):
    guard = world.extra["people_a"]["guard"]
    if values.get("site") is None and "site" in values:
        values["site"] = world.sites["a1"].pk
    before = VettingRecord.objects.count()
    response = api_client(world.users["security_manager"]).post(
        url, {"person": guard.pk, **values}, format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert VettingRecord.objects.count() == before


def test_assignment_to_another_companys_site_is_refused(world, api_client):
    guard = world.extra["people_a"]["guard"]
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/person-assignments/", {"person": guard.pk, "site": world.sites["b1"].pk,
                                        "shift_start": "06:00", "shift_end": "18:00"},
        format="json")  # fmt: skip
    assert response.status_code == 400 and "site" in response.json()


def test_settings_change_what_a_role_needs(world, api_client):
    client = api_client(world.users["security_manager"])
    staff = world.extra["people_a"]["staff"]
    assert client.get(f"/api/v1/people/{staff.pk}/").json()["cleared"] is False
    response = client.patch("/api/v1/people-settings/", {"required_vetting": {"staff": []},
                            "required_training": {"staff": []}}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["required_vetting"]["staff"] == []
    assert client.get(f"/api/v1/people/{staff.pk}/").json()["cleared"] is True
    bad = client.patch("/api/v1/people-settings/", {"validity_days": {"polygraph": 0}},
                       format="json")  # fmt: skip
    assert bad.status_code == 400 and "validity_days" in bad.json()
    bad = client.patch("/api/v1/people-settings/", {"required_vetting": {"guard": ["tarot"]}},
                       format="json")  # fmt: skip
    assert bad.status_code == 400 and "required_vetting" in bad.json()
    guard_client = api_client(world.users["guard"])
    assert guard_client.patch("/api/v1/people-settings/", {"warn_days": 3},
                              format="json").status_code == 403  # fmt: skip
