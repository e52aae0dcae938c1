"""Alert and incident pages: response checklists ticked, unticked and noted (#12 item 17)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minewatch.alerts import services
from minewatch.alerts.models import ChecklistItem
from minewatch.alerts.testing import make_input
from minewatch.core.models import AuditEntry
from minewatch.evidence.facts import protocol_steps
from minewatch.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def case(world: Any) -> dict[str, Any]:
    """The world's invasion alert turned into an incident: one checklist on both."""
    alert = world.extra["alert_a1"]
    incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    step = alert.checklists.get().items.get(code="INV-01")
    return {"alert": alert, "incident": incident, "step": step}


def post(client: Client, step: ChecklistItem, action: str, note: str = "", next_url: str = ""):
    return client.post(f"/alerts/checklist-items/{step.pk}/",
                       {"action": action, "note": note, "next": next_url})  # fmt: skip


def test_operator_ticks_a_step_on_the_incident_page_and_the_dossier_shows_it_done(
    world: Any, case: dict[str, Any]
) -> None:
    client = login(world.users["operator"])
    page = f"/incidents/{case['incident'].pk}/"
    before = client.get(page).content.decode()
    assert f'id="step-{case["step"].pk}"' in before and "Marcar como hecho" in before
    response = post(client, case["step"], "tick", "cámara 3 confirma", page)
    assert response.status_code == 302 and response["Location"] == page
    after = client.get(page).content.decode()
    assert "Hecho por a-operator" in after and "cámara 3 confirma" in after
    done = [line for line in protocol_steps(case["incident"]) if "INV-01" not in line]
    assert any("realizado" in line and "por a-operator; nota: cámara 3 confirma" in line
               for line in protocol_steps(case["incident"]))  # fmt: skip
    assert len(done) == len(protocol_steps(case["incident"]))  # the dossier lists every step


def test_untick_and_note_are_audited(world: Any, case: dict[str, Any]) -> None:
    client = login(world.users["security_manager"])
    step = case["step"]
    post(client, step, "tick")
    post(client, step, "untick", "marcado por error")
    post(client, step, "note", "PNP Pataz avisada por radio")
    step.refresh_from_db()
    assert step.ticked_at is None and step.note == "PNP Pataz avisada por radio"
    entries = AuditEntry.objects.filter(object_type="alerts.checklistitem", object_id=str(step.pk))
    assert entries.count() == 3
    assert entries.order_by("at", "pk")[1].note == "marcado por error"


def test_alert_page_shows_the_checklist_and_ticks_from_it(world: Any, case: dict[str, Any]) -> None:
    client = login(world.users["operator"])
    page = f"/alerts/{case['alert'].pk}/"
    assert case["alert"].reference in client.get(page).content.decode()
    response = post(client, case["step"], "tick", next_url=page)
    assert response["Location"] == page
    case["step"].refresh_from_db()
    assert case["step"].ticked_by == world.users["operator"]


def test_a_guard_does_not_read_the_control_rooms_alerts(world: Any, case: dict[str, Any]) -> None:
    client = login(world.users["guard"])
    assert client.get(f"/alerts/{case['alert'].pk}/").status_code == 404
    post(client, case["step"], "tick")
    case["step"].refresh_from_db()
    assert case["step"].ticked_at is None


@pytest.mark.parametrize("role", ["auditor", "analyst"])
def test_other_roles_read_the_checklist_but_cannot_change_it(
    world: Any, case: dict[str, Any], role: str
) -> None:
    client = login(world.users[role])
    page = client.get(f"/alerts/{case['alert'].pk}/").content.decode()
    assert "INV-01" in page and "Marcar como hecho" not in page
    post(client, case["step"], "tick")
    case["step"].refresh_from_db()
    assert case["step"].ticked_at is None


def test_bad_action_and_overlong_note_change_nothing(world: Any, case: dict[str, Any]) -> None:
    client = login(world.users["operator"])
    post(client, case["step"], "erase")
    post(client, case["step"], "note", "x" * 2001)
    case["step"].refresh_from_db()
    assert case["step"].note == "" and case["step"].ticked_at is None


def test_other_company_cannot_reach_the_step(world: Any, case: dict[str, Any]) -> None:
    response = post(login(world.users["b-manager"]), case["step"], "tick")
    assert response.status_code == 404


def test_incident_reported_directly_can_start_its_checklist(world: Any) -> None:
    client = login(world.users["operator"])
    incident = world.incidents["a1"]  # an extortion reported on the register
    assert not incident.checklists.exists()
    response = client.post(f"/alerts/incidents/{incident.pk}/checklist/")
    assert response.status_code == 302
    assert incident.checklists.get().protocol.code == "extortion"
    assert all("no realizado" in line for line in protocol_steps(incident))


def test_incident_created_from_an_alert_raises_no_second_alert_nor_checklist(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], subject_key="once", severity=5,
                                            incident_type="concession_invasion"))[0]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    assert list(incident.alerts.all()) == [alert]
    assert len(protocol_steps(incident)) == alert.checklists.get().items.count()
