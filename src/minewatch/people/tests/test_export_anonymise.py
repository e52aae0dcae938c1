"""Ley 29733: a person's data exported whole, anonymised on request unless held; audited."""

import pytest

from minewatch.core.models import AuditEntry
from minewatch.people.models import AccessEvent, Person, VettingRecord
from minewatch.people.services import record_gate_pass


def test_export_then_hold_then_anonymise(world, api_client, gates):
    guard = world.extra["people_a"]["guard"]
    manager_user = world.users["security_manager"]
    record_gate_pass(actor=manager_user, access_point=gates["a1"], credential="A-001",
                     direction="in")  # fmt: skip
    manager = api_client(manager_user)
    data = manager.get(f"/api/v1/people/{guard.pk}/export/").json()
    assert data["person"]["document_number"] == "10000001" and len(data["vetting"]) == 4
    assert data["access_events"][0]["credential"] == "A001"
    assert AuditEntry.objects.filter(note="personal data export").exists()
    held = manager.post(f"/api/v1/people/{guard.pk}/legal-hold/", {"hold": True}, format="json")
    assert held.status_code == 200 and held.json()["legal_hold"] is True
    refused = manager.post(f"/api/v1/people/{guard.pk}/anonymise/", {"reason": "request"},
                           format="json")  # fmt: skip
    assert refused.status_code == 400 and "legal_hold" in refused.json()
    manager.post(f"/api/v1/people/{guard.pk}/legal-hold/", {"hold": False}, format="json")
    no_reason = manager.post(f"/api/v1/people/{guard.pk}/anonymise/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    done = manager.post(f"/api/v1/people/{guard.pk}/anonymise/", {"reason": "ARCO request"},
                        format="json")  # fmt: skip
    assert done.status_code == 200, done.content
    guard = Person.objects.get(pk=guard.pk)
    assert "Quispe" not in guard.name and guard.document_number.startswith("ANON")
    assert guard.phone == "" and guard.badge_number == "" and guard.anonymised_at
    assert not AccessEvent.objects.filter(credential="A001").exists()
    assert set(VettingRecord.objects.filter(person=guard).values_list("issuing_body",
                                                                      flat=True)) == {""}  # fmt: skip
    assert AuditEntry.objects.filter(note__startswith="anonymised: ARCO").exists()


@pytest.mark.parametrize("role", ["operator", "guard", "analyst", "auditor"])
def test_only_personal_data_roles_export_or_anonymise(world, api_client, role):
    guard = world.extra["people_a"]["guard"]
    client = api_client(world.users[role])
    assert client.get(f"/api/v1/people/{guard.pk}/export/").status_code == 403
    response = client.post(f"/api/v1/people/{guard.pk}/anonymise/", {"reason": "x"},
                           format="json")  # fmt: skip
    assert response.status_code == 403


def test_another_company_cannot_export(world, api_client):
    guard = world.extra["people_a"]["guard"]
    client = api_client(world.users["b-manager"])
    assert client.get(f"/api/v1/people/{guard.pk}/export/").status_code == 404
