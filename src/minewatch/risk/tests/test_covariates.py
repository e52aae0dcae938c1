"""The organisations' geography as forecast covariates, scoped to what the reader may see."""

from __future__ import annotations

import numpy as np
import pytest

from minewatch.geo import services as geo_services
from minewatch.risk.covariates import covariates_for
from minewatch.risk.engine.grid import build_study_area

pytestmark = pytest.mark.django_db


def corridor_area():
    """H3 res 7 cells around the Las Bambas → Espinar road of the test world."""
    t = np.linspace(0, 1, 40)
    lat, lon = -14.068 + (-14.793 + 14.068) * t, -72.318 + (-71.413 + 72.318) * t
    return build_study_area(lat, lon, 7)


def test_routes_sites_and_risk_zones_become_named_maps(world):
    area = corridor_area()
    maps = covariates_for()(area)
    assert sorted(maps) == ["routes 1 km", "routes 3 km", "sites 2 km", "sites 5 km"]
    assert all(m.sum() == pytest.approx(1.0) for m in maps.values())
    (las_bambas,) = area.locate(np.array([-14.068]), np.array([-72.318]))
    assert np.argmax(maps["sites 2 km"]) == las_bambas
    geo_services.save_zone(
        actor=world.users["security_manager"], organisation=world.orgs["a"],
        name="Tramo crítico", kind="high_risk", center_lat=-14.4, center_lon=-71.9, radius_m=3000,
    )  # fmt: skip
    assert "zones 1 km" in covariates_for()(area)  # perimeters are not risk zones


def test_a_reader_only_gets_the_geography_they_may_see(world):
    area = corridor_area()
    assert sorted(covariates_for(user=world.users["security_manager"])(area)) == [
        "routes 1 km", "routes 3 km", "sites 2 km", "sites 5 km",
    ]  # fmt: skip
    # the other company's road and mine are 700 km away and its own; nothing of company a leaks
    assert covariates_for(user=world.users["b-manager"])(area) == {}
    assert covariates_for(organisation_ids=[world.orgs["b"].pk])(area) == {}


def test_geography_cells_follow_the_roads_sites_and_risk_zones(world):
    import h3

    cells = covariates_for(user=world.users["security_manager"]).cells(7)
    midway = h3.latlng_to_cell((-14.068 - 14.793) / 2, (-72.318 - 71.413) / 2, 7)
    assert midway in cells  # the middle of the Las Bambas → Espinar road
    assert h3.latlng_to_cell(-7.735, -77.53, 7) in cells  # Pataz
    assert h3.latlng_to_cell(-9.537, -77.05, 7) not in cells  # company B's Antamina
    square = [[-75.0, -12.0], [-74.9, -12.0], [-74.9, -11.9], [-75.0, -11.9], [-75.0, -12.0]]
    geo_services.save_zone(
        actor=world.users["security_manager"], organisation=world.orgs["a"], name="Foco minero",
        kind="illegal_mining_hotspot", geometry={"type": "Polygon", "coordinates": [square]},
    )  # fmt: skip
    inside = h3.latlng_to_cell(-11.95, -74.95, 7)
    assert inside in covariates_for(user=world.users["security_manager"]).cells(7)


def test_the_forecast_ranks_a_road_stretch_with_no_incident_yet(world, api_client):
    import h3

    body = (
        api_client(world.users["security_manager"])
        .get("/api/v1/risk/forecast/", {"days": 30, "resolution": 7, "method": "mixture"})
        .json()
    )
    by_cell = {c["cell"]: c["expected"] for c in body["cells"]}
    midway = h3.latlng_to_cell((-14.068 - 14.793) / 2, (-72.318 - 71.413) / 2, 7)
    assert by_cell.get(midway, 0) > 0
    kde = (
        api_client(world.users["security_manager"])
        .get("/api/v1/risk/forecast/", {"days": 30, "resolution": 7, "method": "kde"})
        .json()
    )
    assert midway not in {c["cell"] for c in kde["cells"]}  # only the mixture weighs geography
