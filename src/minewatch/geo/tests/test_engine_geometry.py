"""Geometry validation and region lookup (pure, no database)."""

from __future__ import annotations

import pytest

from minewatch.geo.engine import geometry as geom
from minewatch.geo.engine.regions import peru_regions
from minewatch.geo.peru_places import MINES

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-72, -14], [-71.9, -14], [-71.9, -13.9], [-72, -13.9], [-72, -14]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[-72, -14], [-71.9, -13.9], [-71.9, -14], [-72, -13.9], [-72, -14]]],
}


@pytest.mark.parametrize(
    "geojson,kind,message",
    [
        (BOWTIE, "area", "invalid polygon"),
        ({"type": "Point", "coordinates": [-72, -14]}, "area", "not one of"),
        ({"type": "Polygon", "coordinates": [[[-72, -14], [-71, -14]]]}, "area", "malformed"),
        ({"type": "Point", "coordinates": [-72, -95]}, "point", "latitude"),
        ({"type": "Point", "coordinates": [-190, -14]}, "point", "longitude"),
        ({"type": "LineString", "coordinates": [[-72, -14], [-72, -14]]}, "line", "two distinct"),
        ("not geojson", "area", "GeoJSON"),
    ],
)
def test_bad_geometry_raises_with_reason(geojson: object, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        geom.parse_geometry(geojson, kind)


def test_valid_square_parses() -> None:
    assert geom.parse_geometry(SQUARE, "area").area > 0


def test_circle_radius_is_metres_on_the_ground() -> None:
    circle = geom.circle_polygon(-14.0, -72.0, 1000)
    ring = geom.buffer_line_m(circle.exterior, 1)  # any valid polygon
    assert ring.is_valid
    # Perimeter of a 1 km circle is ~6.28 km.
    assert geom.length_m(circle.exterior) == pytest.approx(6283, rel=0.01)


@pytest.mark.parametrize(
    "key,region",
    [("antamina", "PE-ANC"), ("las_bambas", "PE-APU"), ("cerro_verde", "PE-ARE"),
     ("toquepala", "PE-TAC"), ("cuajone", "PE-MOQ"), ("yanacocha", "PE-CAJ"),
     ("antapaccay", "PE-CUS"), ("poderosa", "PE-LAL")],
)  # fmt: skip
def test_mines_fall_in_their_regions(key: str, region: str) -> None:
    place = next(p for p in MINES if p.key == key)
    assert peru_regions().locate(place.lat, place.lon).code == region


def test_point_at_sea_far_from_peru_has_no_region() -> None:
    assert peru_regions().locate(-12.0, -85.0) is None


def test_every_region_has_a_unique_code_and_ubigeo() -> None:
    regions = peru_regions().regions
    assert len(regions) == 26
    assert len({r.code for r in regions}) == 26
    assert len({r.ubigeo for r in regions}) == 26
