"""Early-warning triage: accept, dismiss, link to an incident; reasons as links; bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minewatch.core.models import AuditEntry
from minewatch.testing.world import PASSWORD


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_triage_page_links_reasons_to_the_incidents_and_reports(world: Any) -> None:
    warning = world.extra["early_warnings_a"][0]
    html = login(world.users["analyst"]).get("/intel/warnings/triage/").content.decode()
    assert f'id="warning-{warning.pk}"' in html
    incident_key = next(r["key"] for r in warning.reasons if r["kind"] == "incident")
    incident_id = int(incident_key.split(":")[1])
    assert f'href="/incidents/{incident_id}/"' in html
    assert incident_key not in html  # the reference, not the raw key
    report = world.extra["intel_report_a"]
    assert f'href="/intel/reports/{report.pk}/"' in html
    listing = login(world.users["analyst"]).get("/intel/warnings/").content.decode()
    assert f'href="/incidents/{incident_id}/"' in listing
    assert "/intel/warnings/triage/" in listing


@pytest.mark.parametrize(
    ("decision", "status"), [("accept", "acknowledged"), ("dismiss", "closed")]
)
def test_an_analyst_accepts_or_dismisses_a_warning(world: Any, decision: str, status: str) -> None:
    warning = world.extra["early_warnings_a"][0]
    response = login(world.users["analyst"]).post(
        "/intel/warnings/triage/", {"warning": warning.pk, "decision": decision, "note": "visto"}
    )
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.status == status
    entry = AuditEntry.objects.filter(object_type="intel.earlywarning",
                                      object_id=str(warning.pk)).latest("at")  # fmt: skip
    assert entry.note == f"{decision} visto" and entry.actor_name == "a-analyst"


def test_linking_to_an_incident_through_the_api(world: Any, api_client: Any) -> None:
    warning = world.extra["early_warnings_a"][0]
    incident = world.incidents["a2"]
    client = api_client(world.users["analyst"])
    url = f"/api/v1/early-warnings/{warning.pk}/triage/"
    response = client.post(url, {"decision": "link", "incident": incident.pk}, format="json")
    assert response.status_code == 200
    assert incident.pk in response.json()["incidents"]
    assert response.json()["status"] == "acknowledged"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"decision": "link"}, "incident"), ({"decision": "maybe"}, "decision"),
     ({"decision": "link", "incident": 99999}, "incident")],
)  # fmt: skip
def test_bad_triage_input_names_the_field(
    world: Any, api_client: Any, body: dict, field: str
) -> None:
    warning = world.extra["early_warnings_a"][0]
    response = api_client(world.users["analyst"]).post(
        f"/api/v1/early-warnings/{warning.pk}/triage/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    warning.refresh_from_db()
    assert warning.status == "open"


def test_an_incident_of_another_company_cannot_be_linked(world: Any, api_client: Any) -> None:
    warning = world.extra["early_warnings_a"][0]
    response = api_client(world.users["analyst"]).post(
        f"/api/v1/early-warnings/{warning.pk}/triage/",
        {"decision": "link", "incident": world.incidents["b1"].pk}, format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "incident" in response.json()


@pytest.mark.parametrize("role", ["guard", "auditor"])
def test_roles_that_do_not_analyse_or_operate_cannot_triage(
    world: Any, api_client: Any, role: str
) -> None:
    warning = world.extra["early_warnings_a"][0]
    response = api_client(world.users[role]).post(
        f"/api/v1/early-warnings/{warning.pk}/triage/", {"decision": "accept"}, format="json"
    )
    assert response.status_code in (403, 404)
    page = login(world.users[role]).post(
        "/intel/warnings/triage/", {"warning": warning.pk, "decision": "accept"}
    )
    assert page.status_code in (403, 404)
    warning.refresh_from_db()
    assert warning.status == "open"
