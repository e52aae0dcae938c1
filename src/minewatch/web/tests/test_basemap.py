"""The offline basemap endpoints (web/basemap.py) and the map's opening extent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from minewatch.web import basemap, queries
from minewatch.web.tests.test_views import login


@pytest.fixture
def pmtiles_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The organisation's PMTiles file (any bytes will do for the range logic)."""
    path = tmp_path / "peru.pmtiles"
    path.write_bytes(bytes(range(256)) * 4)  # 1024 bytes, byte i is i % 256
    monkeypatch.setitem(settings.TUNABLES, "basemap_pmtiles", str(path))
    return path


@pytest.fixture
def no_pmtiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.TUNABLES, "basemap_pmtiles", str(tmp_path / "absent.pmtiles"))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=1000-", (1000, 1023)),
        ("bytes=-24", (1000, 1023)),
        ("bytes=0-99999", (0, 1023)),
        ("", None),
        ("bytes=0-1,5-9", None),  # several ranges: the whole file is sent
        ("items=0-5", None),
    ],
)
def test_parse_range(header: str, expected: tuple[int, int] | None) -> None:
    assert basemap.parse_range(header, 1024) == expected


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=9-2"])
def test_parse_range_outside_the_file_is_an_error(header: str) -> None:
    with pytest.raises(ValueError, match="outside the file"):
        basemap.parse_range(header, 1024)


def test_pmtiles_is_served_by_byte_range_to_logged_in_users(world: Any, pmtiles_file: Path) -> None:
    client = login(world.users["operator"])
    response = client.get("/map/basemap.pmtiles", HTTP_RANGE="bytes=256-263")
    assert response.status_code == 206
    assert response.content == bytes(range(8))
    assert response["Content-Range"] == "bytes 256-263/1024"
    assert response["Accept-Ranges"] == "bytes"
    etag = response["ETag"]
    whole = client.get("/map/basemap.pmtiles")
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == pmtiles_file.read_bytes()
    assert client.get("/map/basemap.pmtiles", HTTP_IF_NONE_MATCH=etag).status_code == 304
    refused = client.get("/map/basemap.pmtiles", HTTP_RANGE="bytes=5000-")
    assert refused.status_code == 416
    assert refused["Content-Range"] == "bytes */1024"
    # Same file for every organisation (reference data), but never for anonymous users.
    assert login(world.users["b-manager"]).get("/map/basemap.pmtiles").status_code == 200
    assert Client().get("/map/basemap.pmtiles").status_code == 302
    descriptor = client.get("/map/basemap.json").json()
    assert descriptor["pmtiles"] == "/map/basemap.pmtiles"


def test_without_pmtiles_the_bundled_layers_are_offered(world: Any, no_pmtiles: None) -> None:
    client = login(world.users["auditor"])
    assert client.get("/map/basemap.pmtiles").status_code == 404
    descriptor = client.get("/map/basemap.json").json()
    assert descriptor["pmtiles"] is None
    assert set(descriptor["layers"]) == {"provinces", "lakes", "rivers", "places"}
    provinces = json.loads(client.get(descriptor["layers"]["provinces"]).content)
    assert len(provinces["features"]) >= 190
    assert {"name": "Pataz", "ubigeo": "1308", "department": "La Libertad"} in [
        f["properties"] for f in provinces["features"]
    ]
    places = json.loads(client.get("/map/basemap/places.geojson").content)
    assert "Lima" in {f["properties"]["name"] for f in places["features"]}
    assert client.get("/map/basemap/secrets.geojson").status_code == 404
    assert Client().get("/map/basemap/places.geojson").status_code == 302


def test_bundled_basemap_stays_small() -> None:
    total = sum(p.stat().st_size for p in basemap.BUNDLED_DIR.glob("*.geojson"))
    assert total < 2 * 1024 * 1024


def test_map_opens_on_the_extent_of_what_the_user_may_see(world: Any) -> None:
    """A contractor sees its assigned site; a company all of its own; nobody another's."""
    a1, b1 = world.sites["a1"], world.sites["b1"]
    extent = queries.visible_extent(world.users["psc-operator"])
    assert extent is not None
    (south, west), (north, east) = extent
    assert south <= a1.lat <= north and west <= a1.lon <= east
    assert not (south <= b1.lat <= north and west <= b1.lon <= east)
    assert queries.visible_extent(world.users["psc2-operator"]) is None  # assigned nowhere
    response = login(world.users["psc-operator"]).get("/map/")
    assert b"data-extent=" in response.content
    assert b'id="draw-panel"' not in response.content  # operators do not draw


def test_map_page_offers_drawing_to_managers(world: Any) -> None:
    response = login(world.users["security_manager"]).get("/map/")
    assert b'id="draw-panel"' in response.content
    assert b"leaflet-geoman" in response.content


def test_geo_validation_errors_are_in_the_users_language(world: Any, api_client: Any) -> None:
    client = api_client(world.users["security_manager"])
    line = {"type": "LineString", "coordinates": [[-77.5, -7.7], [-77.4, -7.8]]}
    response = client.post("/api/v1/routes/", {"name": "R", "geometry": line, "buffer_m": 90000},
                           format="json", HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "buffer_m": ["el semiancho del corredor debe estar entre 1 y 50 000 m"]
    }
