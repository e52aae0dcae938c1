"""The incidents API: report, filter, validate, transition."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minewatch.incidents.models import Incident
from minewatch.testing.world import make_incident

FULL_FIELDS = {
    "reference", "title", "threat", "incident_type", "severity", "status", "confidentiality",
    "occurred_at", "occurred_at_precision", "reported_at", "time_of_day", "duration_minutes",
    "reporter", "lat", "lon", "location_precision", "location_description", "region", "region_code",
    "site", "site_name", "narrative", "modus_operandi", "modus_operandi_tags", "assailants_min",
    "assailants_max", "weapons", "vehicles_used", "fatalities", "injured_staff",
    "injured_contractors", "injured_security", "injured_police", "injured_community",
    "injured_assailants", "kidnapped", "loss_usd", "material_lost", "material_loss_quantity",
    "material_loss_unit", "responders", "police_notified_at", "complaint_number", "police_unit",
    "response_minutes", "linked_actors", "sources", "allowed_transitions", "status_changes",
}  # fmt: skip


def payload(site: Any, **extra: Any) -> dict[str, Any]:
    occurred = timezone.now() - dt.timedelta(hours=5)
    body = {
        "incident_type": "convoy_attack",
        "occurred_at": occurred.isoformat(),
        "lat": site.lat + 0.02,
        "lon": site.lon - 0.01,
        "site": site.pk,
        "modus_operandi": "Dos camionetas cierran el paso al convoy en curva",
        "modus_operandi_tags": ["interception", "night"],
        "assailants_min": 4,
        "assailants_max": 6,
        "weapons": ["firearm"],
        "vehicles_used": ["pickup", "motorcycle"],
        "injured_security": 1,
        "loss_usd": "125000.50",
        "responders": ["psc", "pnp"],
        "police_notified_at": (occurred + dt.timedelta(minutes=12)).isoformat(),
        "complaint_number": "DEN-2026-0042",
    }
    body.update(extra)
    return body


def test_operator_reports_an_incident_with_every_field(world: Any, api_client: Any) -> None:
    client = api_client(world.users["operator"])
    response = client.post("/api/v1/incidents/", payload(world.sites["a1"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= FULL_FIELDS
    assert body["threat"] == "organised_crime"
    assert body["severity"] == 5
    assert body["region_code"] == "PE-LAL"
    assert body["weapons"] == ["firearm"]
    assert body["allowed_transitions"] == ["closed", "verified"]


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"incident_type": "ufo"}, "incident_type"),
        ({"threat": "terrorism"}, "incident_type"),
        ({"fatalities": -2}, "fatalities"),
        ({"assailants_min": 9, "assailants_max": 3}, "assailants_min"),
        ({"lat": -95}, "lat"),
        ({"lon": 181}, "lon"),
        ({"severity": 9}, "severity"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "not a date"}, "occurred_at"),
        ({"weapons": ["laser"]}, "weapons"),
        ({"police_notified_at": "2000-01-01T00:00:00Z"}, "police_notified_at"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    world: Any, api_client: Any, extra: dict, field: str
) -> None:
    before = Incident.objects.count()
    response = api_client(world.users["operator"]).post(
        "/api/v1/incidents/", payload(world.sites["a1"], **extra), format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Incident.objects.count() == before


def test_site_of_another_company_reads_as_nonexistent(world: Any, api_client: Any) -> None:
    response = api_client(world.users["operator"]).post(
        "/api/v1/incidents/", payload(world.sites["b1"]), format="json"
    )
    assert response.status_code == 400
    body = payload(world.sites["b1"])
    body["site"] = 999999
    missing = api_client(world.users["operator"]).post("/api/v1/incidents/", body, format="json")
    assert response.json()["site"] == [
        m.replace("999999", str(world.sites["b1"].pk)) for m in missing.json()["site"]
    ]


def test_filter_by_threat_and_region_returns_pataz_incidents(world: Any, api_client: Any) -> None:
    make_incident(world.users["operator"], world.sites["a2"], incident_type="kidnapping")
    response = api_client(world.users["analyst"]).get(
        "/api/v1/incidents/", {"threat": "organised_crime", "region": "PE-LAL"}
    )
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [world.incidents["a1"].pk]
    assert rows[0]["region_code"] == "PE-LAL"


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"type": "road_blockade"}, {"a2"}),
        ({"status": "reported"}, {"a1", "a2"}),
        ({"site": "SITE:a2"}, {"a2"}),
        ({"bbox": "-78,-8,-77,-7"}, {"a1"}),
        ({"q": "INC-"}, {"a1", "a2"}),
        ({"region": "13"}, {"a1"}),
    ],
)
def test_filters(world: Any, api_client: Any, params: dict, expected: set) -> None:
    params = {
        k: (str(world.sites[v[5:]].pk) if str(v).startswith("SITE:") else v)
        for k, v in params.items()
    }
    rows = api_client(world.users["analyst"]).get("/api/v1/incidents/", params).json()["results"]
    assert {r["id"] for r in rows} == {world.incidents[k].pk for k in expected}


def test_date_range_filter(world: Any, api_client: Any) -> None:
    old = make_incident(
        world.users["operator"],
        world.sites["a1"],
        occurred_at=timezone.now() - dt.timedelta(days=400),
    )
    since = (timezone.now() - dt.timedelta(days=30)).isoformat()
    rows = (
        api_client(world.users["analyst"])
        .get("/api/v1/incidents/", {"occurred_after": since, "page_size": 100})
        .json()["results"]
    )
    assert old.pk not in {r["id"] for r in rows}
    assert world.incidents["a1"].pk in {r["id"] for r in rows}


def test_bad_filter_value_is_a_400(world: Any, api_client: Any) -> None:
    response = api_client(world.users["analyst"]).get("/api/v1/incidents/", {"bbox": "1,2,3"})
    assert response.status_code == 400
    assert "bbox" in response.json()


def test_transition_action_and_illegal_step(world: Any, api_client: Any) -> None:
    client = api_client(world.users["security_manager"])
    url = f"/api/v1/incidents/{world.incidents['a1'].pk}/transition/"
    ok = client.post(url, {"status": "verified", "note": "PNP confirmed"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["status"] == "verified"
    bad = client.post(url, {"status": "reported"}, format="json")
    assert bad.status_code == 409
    assert "status" in bad.json()


def test_auditor_reads_but_cannot_write(world: Any, api_client: Any) -> None:
    client = api_client(world.users["auditor"])
    assert client.get("/api/v1/incidents/").status_code == 200
    assert (
        client.post("/api/v1/incidents/", payload(world.sites["a1"]), format="json").status_code
        == 403
    )
    url = f"/api/v1/incidents/{world.incidents['a1'].pk}/"
    assert client.patch(url, {"fatalities": 1}, format="json").status_code == 403


def test_guard_reports_but_cannot_edit(world: Any, api_client: Any) -> None:
    client = api_client(world.users["guard"])
    assert (
        client.post("/api/v1/incidents/", payload(world.sites["a1"]), format="json").status_code
        == 201
    )
    url = f"/api/v1/incidents/{world.incidents['a1'].pk}/"
    assert client.patch(url, {"fatalities": 1}, format="json").status_code == 403


def test_patch_updates_and_audits(world: Any, api_client: Any) -> None:
    url = f"/api/v1/incidents/{world.incidents['a1'].pk}/"
    response = api_client(world.users["security_manager"]).patch(
        url, {"kidnapped": 2}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["kidnapped"] == 2


@pytest.mark.parametrize(
    "user_key,allowed",
    [
        ("psc-operator", False),  # the contractor assigned to the site
        ("operator", False),
        ("analyst", False),
        ("security_manager", True),
        ("admin", True),
    ],
)
def test_only_the_owners_managers_change_confidentiality(
    world: Any, api_client: Any, user_key: str, allowed: bool
) -> None:
    """A contractor must not hide an incident from the owning company's operator and auditor."""
    from minewatch.core.models import AuditEntry

    incident = world.incidents["a1"]
    audits = AuditEntry.objects.filter(object_type="incidents.incident", object_id=str(incident.pk))
    before = audits.count()
    response = api_client(world.users[user_key]).patch(
        f"/api/v1/incidents/{incident.pk}/", {"confidentiality": "confidential"}, format="json"
    )
    incident.refresh_from_db()
    if not allowed:
        assert response.status_code == 403, response.content
        assert "confidentiality" in response.json()
        assert incident.confidentiality == "internal" and audits.count() == before
        for reader in ("operator", "auditor"):
            client = api_client(world.users[reader])
            assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
        return
    assert response.status_code == 200, response.content
    assert incident.confidentiality == "confidential"
    entry = audits.latest("pk")
    assert entry.note == "confidentiality: internal → confidential"
    assert entry.actor == world.users[user_key]


def test_a_contractor_cannot_report_a_hidden_incident_at_the_owners_site(
    world: Any, api_client: Any
) -> None:
    body = payload(world.sites["a1"], confidentiality="confidential")
    response = api_client(world.users["psc-operator"]).post(
        "/api/v1/incidents/", body, format="json"
    )
    assert response.status_code == 403 and "confidentiality" in response.json()
    assert not Incident.objects.filter(confidentiality="confidential").exists()
    internal = api_client(world.users["psc-operator"]).post(
        "/api/v1/incidents/", payload(world.sites["a1"]), format="json"
    )
    assert internal.status_code == 201, internal.content
