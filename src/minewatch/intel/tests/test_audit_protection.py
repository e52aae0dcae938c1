"""The audit log hides what the intel endpoints hide: source identities, per role."""

from __future__ import annotations

import json

import pytest

AUDIT_ROLES = {"admin": True, "security_manager": True, "auditor": False}  # role: sees sources


@pytest.mark.parametrize("role,sees", sorted(AUDIT_ROLES.items()))
def test_audit_of_a_source_is_restricted_to_roles_that_see_sources(world, api_client, role, sees):
    source = world.extra["intel_source_a"]
    client = api_client(world.users[role])
    listing = client.get("/api/v1/audit/", {"object_type": "intel.intelsource"})
    assert listing.status_code == 200
    rows = [r for r in listing.json()["results"] if r["object_id"] == str(source.pk)]
    assert rows, "the source's creation is audited"
    single = client.get(f"/api/v1/audit/{rows[0]['id']}/").json()
    for body in (*rows, single):
        assert body["redacted"] is not sees
        assert body["actor_name"] and body["action"]  # who did what and when stays
        text = json.dumps(body, ensure_ascii=False)
        assert ("Fuente a-1" in text) is sees
        assert ('"radio"' in text) is sees


@pytest.mark.parametrize("role,sees", sorted(AUDIT_ROLES.items()))
def test_audit_of_a_report_leaves_out_its_source_for_other_roles(world, api_client, role, sees):
    report, source = world.extra["intel_report_a"], world.extra["intel_source_a"]
    assert report.source_id == source.pk
    response = api_client(world.users[role]).get(
        "/api/v1/audit/", {"object_type": "intel.intelreport", "object_id": str(report.pk)}
    )
    rows = response.json()["results"]
    assert rows
    for row in rows:
        assert row["redacted"] is not sees
        assert ("source" in (row["after"] or {})) is sees
        assert ("source" in row["changes"]) is sees
        assert row["after"]["title"] == report.title  # the rest of the report stays readable


def test_unprotected_entries_are_whole(world, api_client):
    site = world.sites["a1"]
    rows = (
        api_client(world.users["auditor"])
        .get("/api/v1/audit/", {"object_type": "geo.site", "object_id": str(site.pk)})
        .json()["results"]
    )
    assert rows and all(not r["redacted"] and r["after"]["name"] == site.name for r in rows)
