"""Health, OpenAPI schema, Swagger UI offline, taxonomy."""

from __future__ import annotations

from typing import Any

from minewatch.incidents import taxonomy


def test_health_answers_without_auth(db: Any, api_client: Any) -> None:
    response = api_client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"  # never backed up, no signed checkpoint yet
    assert body["checks"]["database"]["status"] == "ok"
    assert body["database"] in {"sqlite", "postgresql"}
    assert body["version"]


def test_openapi_schema_lists_the_endpoints(world: Any, api_client: Any) -> None:
    response = api_client(world.users["analyst"]).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for expected in ("/api/v1/incidents/", "/api/v1/sites/", "/api/v1/taxonomy/"):
        assert expected in paths


def test_swagger_ui_uses_vendored_assets(world: Any, client: Any) -> None:
    client.force_login(world.users["analyst"])
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "https://" not in page.split("<body")[0]


def test_taxonomy_lists_every_type_with_both_languages(world: Any, api_client: Any) -> None:
    body = api_client(world.users["guard"]).get("/api/v1/taxonomy/").json()
    types = [t for threat in body["threats"] for t in threat["types"]]
    assert {t["code"] for t in types} == set(taxonomy.TYPES_BY_CODE)
    assert {th["code"] for th in body["threats"]} == {
        "terrorism", "social_conflict", "illegal_mining", "organised_crime", "internal",
    }  # fmt: skip
    hijack = next(t for t in types if t["code"] == "cargo_hijacking")
    assert hijack["label"] == {"es": "Secuestro de carga", "en": "Cargo hijacking"}
    assert hijack["gtd_attack_type"] == "Hijacking"
    assert hijack["acled"]["event_type"] == "Violence against civilians"
