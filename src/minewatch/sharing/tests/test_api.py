"""The sharing API's exports and imports: managers only, bad input named."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from stix2validator import ValidationOptions, validate_string

from minewatch.sharing import queries
from minewatch.sharing.engine import acled
from minewatch.sharing.models import AcledEvent


def test_stix_export_over_the_api_is_valid_and_managers_only(world, api_client):
    manager = api_client(world.users["security_manager"])
    response = manager.get("/api/v1/sharing/stix-export/", {"tlp_ceiling": "red"})
    assert response.status_code == 200
    assert validate_string(json.dumps(response.json()), ValidationOptions(version="2.1")).is_valid
    assert (
        api_client(world.users["operator"]).get("/api/v1/sharing/stix-export/").status_code == 403
    )
    bad = manager.get("/api/v1/sharing/stix-export/", {"tlp_ceiling": "purple"})
    assert bad.status_code == 400 and "tlp_ceiling" in bad.json()


def test_acled_export_and_import_over_the_api(world, api_client):
    a = api_client(world.users["security_manager"])
    exported = a.get("/api/v1/sharing/acled-export/", {"threat": "organised_crime"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert text.splitlines()[0] == ",".join(acled.COLUMNS) and len(text.splitlines()) == 2
    b = api_client(world.users["b-manager"])
    upload = SimpleUploadedFile("a.csv", exported.content, content_type="text/csv")
    imported = b.post("/api/v1/sharing/acled-import/", {"file": upload}, format="multipart")
    assert imported.status_code == 200 and imported.json()["created"] == 1
    listed = b.get("/api/v1/acled-events/", {"threat": "organised_crime"}).json()["results"]
    assert [row["event_id_cnty"][:4] for row in listed] == ["PER-"]
    a_rows = a.get("/api/v1/acled-events/").json()["results"]
    assert "PER-" not in {row["event_id_cnty"][:4] for row in a_rows}  # B's import, not A's
    backtest = b.get("/api/v1/acled-events/backtest-csv/", {"threat": "organised_crime"})
    lines = backtest.content.decode().splitlines()
    assert lines[0] == "time,lat,lon,threat,type"
    assert lines[1].endswith(",organised_crime,extortion")
    missing = SimpleUploadedFile("m.csv", b"event_id_cnty,event_date\nX,2026-01-01\n")
    refused = b.post("/api/v1/sharing/acled-import/", {"file": missing}, format="multipart")
    assert refused.status_code == 400 and "missing column(s)" in json.dumps(refused.json())
    assert AcledEvent.objects.filter(event_id_cnty="X").count() == 0


def test_stix_import_over_the_api_names_an_unknown_type(world, api_client):
    bundle = queries.stix_bundle(world.orgs["b"].pk, queries.ExportScope())
    bundle["objects"].append({"type": "malware-analysis-x", "id": "malware-analysis-x--1"})
    client = api_client(world.users["security_manager"])
    response = client.post("/api/v1/sharing/stix-import/",
                           {"partner": "Org b", "bundle": bundle}, format="json")  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["created"] > 0 and any("'malware-analysis-x'" in e for e in body["errors"])
    external = client.get("/api/v1/external-intel/", {"stix_type": "threat-actor"}).json()
    assert {row["name"] for row in external["results"]} >= {"Banda b", "Grupo b"}
    not_bundle = client.post("/api/v1/sharing/stix-import/",
                             {"partner": "P", "bundle": {"type": "x"}}, format="json")  # fmt: skip
    assert not_bundle.status_code == 400 and "bundle" in not_bundle.json()


def test_research_export_over_the_api_reports_suppression(world, api_client):
    client = api_client(world.users["security_manager"])
    response = client.get("/api/v1/sharing/research-export/", {"k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["summary"]["k"] == 2 and body["summary"]["suppressed_cells"] == 2
    assert body["rows"] == []
    assert client.get("/api/v1/sharing/research-export/", {"k": 1}).status_code == 400


def test_settings_and_tlp_overrides_over_the_api(world, api_client):
    client = api_client(world.users["security_manager"])
    (row,) = client.get("/api/v1/sharing-settings/").json()["results"]
    patched = client.patch(f"/api/v1/sharing-settings/{row['id']}/", {"default_tlp": "green",
                           "research_k": 3}, format="json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["default_tlp"] == "green"
    bad = client.patch(f"/api/v1/sharing-settings/{row['id']}/", {"research_k": 1}, format="json")
    assert bad.status_code == 400 and "research_k" in bad.json()
    marked = client.post("/api/v1/tlp-overrides/", {"object_kind": "incident", "object_id":
                         world.incidents["a1"].pk, "tlp": "red"}, format="json")  # fmt: skip
    assert marked.status_code == 201, marked.content
    other = client.post("/api/v1/tlp-overrides/", {"object_kind": "incident", "object_id":
                        world.incidents["b1"].pk, "tlp": "red"}, format="json")  # fmt: skip
    assert other.status_code == 400 and "object_id" in other.json()
    assert client.delete(f"/api/v1/tlp-overrides/{marked.json()['id']}/").status_code == 204
