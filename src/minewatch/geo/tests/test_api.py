"""Sites, zones and routes through the API: validation and computed region."""

from __future__ import annotations

from typing import Any

import pytest

from minewatch.geo.models import Site, Zone

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[-72, -14], [-71.9, -13.9], [-71.9, -14], [-72, -13.9], [-72, -14]]],
}


def test_manager_creates_site_and_region_is_computed(world: Any, api_client: Any) -> None:
    client = api_client(world.users["security_manager"])
    body = {"name": "Constancia", "kind": "mine", "lat": -14.455, "lon": -71.775, "region": 1}
    response = client.post("/api/v1/sites/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["region_code"] == "PE-CUS"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"lat": 40.4, "lon": -3.7}, "lat"),
        ({"lat": -95, "lon": -72}, "lat"),
        ({"kind": "volcano"}, "kind"),
        ({"geometry": BOWTIE}, "geometry"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 10]]],
                }
            },
            "geometry",
        ),
    ],
)
def test_bad_site_is_400_naming_field(world: Any, api_client: Any, body: dict, field: str) -> None:
    before = Site.objects.count()
    data = {"name": "X", "kind": "mine", "lat": -14.0, "lon": -72.0, **body}
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/sites/", data, format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Site.objects.count() == before


def test_site_outside_peru_allowed_when_country_is_not_peru(world: Any, api_client: Any) -> None:
    data = {"name": "Cerrejón", "kind": "mine", "lat": 11.1, "lon": -72.6, "country": "CO"}
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/sites/", data, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["region_code"] is None


def test_circle_zone_and_polygon_zone(world: Any, api_client: Any) -> None:
    client = api_client(world.users["security_manager"])
    circle = {
        "name": "Parada",
        "kind": "authorised_stop",
        "center_lat": -14.79,
        "center_lon": -71.41,
        "radius_m": 800,
    }
    response = client.post("/api/v1/zones/", circle, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["shape"] == "circle"
    square = {
        "type": "Polygon",
        "coordinates": [[[-72, -14], [-71.9, -14], [-71.9, -13.9], [-72, -13.9], [-72, -14]]],
    }
    polygon = {
        "name": "Alto riesgo",
        "kind": "high_risk",
        "geometry": square,
        "site": world.sites["a2"].pk,
    }
    assert client.post("/api/v1/zones/", polygon, format="json").status_code == 201


@pytest.mark.parametrize(
    "body,field",
    [
        ({"center_lat": -14.0, "center_lon": -72.0, "radius_m": -5}, "radius_m"),
        ({"geometry": BOWTIE}, "geometry"),
        ({}, "geometry"),
        ({"kind": "lava", "center_lat": -14.0, "center_lon": -72.0, "radius_m": 10}, "kind"),
    ],
)
def test_bad_zone_is_400(world: Any, api_client: Any, body: dict, field: str) -> None:
    before = Zone.objects.count()
    data = {"name": "Z", "kind": "high_risk", **body}
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/zones/", data, format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Zone.objects.count() == before


def test_zone_on_another_companys_site_is_refused(world: Any, api_client: Any) -> None:
    data = {"name": "Z", "kind": "perimeter", "center_lat": -9.5, "center_lon": -77.0, "radius_m": 100,
            "site": world.sites["b1"].pk}  # fmt: skip
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/zones/", data, format="json"
    )
    assert response.status_code == 400
    assert "site" in response.json()


def test_route_length_is_computed(world: Any, api_client: Any) -> None:
    line = {"type": "LineString", "coordinates": [[-71.537, -16.399], [-72.105, -17.0]]}
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/routes/",
        {"name": "Arequipa → Matarani", "geometry": line, "buffer_m": 400},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert 85_000 < response.json()["length_m"] < 95_000


def test_operator_cannot_create_sites(world: Any, api_client: Any) -> None:
    data = {"name": "X", "kind": "mine", "lat": -14.0, "lon": -72.0}
    assert (
        api_client(world.users["operator"]).post("/api/v1/sites/", data, format="json").status_code
        == 403
    )


def test_regions_are_public_reference_data(world: Any, api_client: Any) -> None:
    rows = api_client(world.users["guard"]).get("/api/v1/regions/").json()
    assert len(rows) == 26
    lal = next(r for r in rows if r["code"] == "PE-LAL")
    detail = api_client(world.users["guard"]).get(f"/api/v1/regions/{lal['id']}/").json()
    assert detail["ubigeo"] == "13"
    assert detail["geometry"]["type"] in {"Polygon", "MultiPolygon"}
