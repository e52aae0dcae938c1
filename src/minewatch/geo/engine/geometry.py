"""Validate GeoJSON geometry and build the shapes MineWatch stores. Pure: no Django.

Coordinates are WGS84 longitude/latitude (GeoJSON order). Circles are
approximated by polygons built in a local azimuthal-equidistant projection, so a
``radius_m`` is metres on the ground at any latitude.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

# Peru's extent with a small margin (Natural Earth admin-1: lon -81.33..-68.65, lat -18.35..-0.04).
PERU_BBOX = (-81.5, -18.5, -68.5, 0.1)

ALLOWED_TYPES = {
    "point": {"Point"},
    "area": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
}


def check_lat_lon(lat: float, lon: float) -> None:
    """Raise ValueError unless ``lat`` is in [-90, 90] and ``lon`` in [-180, 180] degrees."""
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90 degrees")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180 degrees")


def is_in_peru_bbox(lat: float, lon: float) -> bool:
    """True when the point lies inside Peru's bounding box (with a small margin).

    >>> is_in_peru_bbox(-14.08, -72.32)   # Las Bambas
    True
    >>> is_in_peru_bbox(40.4, -3.7)       # Madrid
    False
    """
    min_lon, min_lat, max_lon, max_lat = PERU_BBOX
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def parse_geometry(geojson: Any, kind: str) -> BaseGeometry:
    """Parse and validate a GeoJSON geometry of the given ``kind`` ('point', 'area', 'line').

    Raises ValueError naming the problem: not a GeoJSON object, wrong type,
    coordinates out of range, empty, or an invalid (e.g. self-intersecting) polygon.

    >>> parse_geometry({"type": "Point", "coordinates": [-72.3, -14.1]}, "point").wkt
    'POINT (-72.3 -14.1)'
    """
    if not isinstance(geojson, dict) or "type" not in geojson or "coordinates" not in geojson:
        raise ValueError("expected a GeoJSON geometry object with 'type' and 'coordinates'")
    allowed = ALLOWED_TYPES[kind]
    if geojson["type"] not in allowed:
        raise ValueError(f"geometry type {geojson['type']!r} is not one of {sorted(allowed)}")
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"malformed coordinates: {exc}") from None
    if geometry.is_empty:
        raise ValueError("geometry is empty")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    check_lat_lon(min_lat, min_lon)
    check_lat_lon(max_lat, max_lon)
    if kind == "area" and not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise ValueError(f"invalid polygon: {reason}")
    if kind == "line" and geometry.length == 0:
        raise ValueError("a line needs at least two distinct points")
    return geometry


def transform(func: object, geometry: BaseGeometry) -> BaseGeometry:
    """Apply a pyproj ``Transformer.transform`` to every coordinate of ``geometry``."""

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])  # type: ignore[operator]
        return np.column_stack([x, y])

    return shapely.transform(geometry, apply)


def _local_transformers(lat: float, lon: float) -> tuple[Transformer, Transformer]:
    proj = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m"
    forward = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    backward = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
    return forward, backward


def circle_polygon(lat: float, lon: float, radius_m: float, segments: int = 64) -> BaseGeometry:
    """A polygon approximating the circle of ``radius_m`` metres around (lat, lon).

    >>> round(circle_polygon(-14.0, -72.0, 1000).area * 1e6)  # square degrees ×1e6
    262
    """
    check_lat_lon(lat, lon)
    if not radius_m > 0:
        raise ValueError(f"radius_m must be positive, got {radius_m} m")
    _forward, backward = _local_transformers(lat, lon)
    disc = Point(0.0, 0.0).buffer(radius_m, quad_segs=max(segments // 4, 4))
    return transform(backward.transform, disc)


def buffer_line_m(line: BaseGeometry, width_m: float) -> BaseGeometry:
    """The corridor within ``width_m`` metres of a lon/lat ``line`` (a polygon in lon/lat)."""
    if not width_m > 0:
        raise ValueError(f"buffer width must be positive, got {width_m} m")
    centre = line.centroid
    forward, backward = _local_transformers(centre.y, centre.x)
    metric = transform(forward.transform, line)
    return transform(backward.transform, metric.buffer(width_m))


def length_m(line: BaseGeometry) -> float:
    """Length of a lon/lat line in metres (local projection around its centroid)."""
    centre = line.centroid
    forward, _backward = _local_transformers(centre.y, centre.x)
    return float(transform(forward.transform, line).length)


EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points (the one copy in the code).

    >>> round(haversine_m(-12.0, -77.0, -12.0, -77.0))
    0
    >>> round(haversine_m(-15.0, -74.0, -16.0, -74.0) / 1000)
    111
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_m(lat: float, lon: float, geometry: BaseGeometry) -> float:
    """Ground distance in metres from (lat, lon) to a lon/lat ``geometry`` (0 inside an area).

    Measured in an azimuthal-equidistant projection centred on the point, so the
    distance from the point is true at any latitude.

    >>> round(distance_m(-14.0, -72.0, Point(-72.0, -14.01)))
    1106
    >>> distance_m(-14.0, -72.0, circle_polygon(-14.0, -72.0, 500))
    0.0
    """
    check_lat_lon(lat, lon)
    forward, _backward = _local_transformers(lat, lon)
    return float(transform(forward.transform, geometry).distance(Point(0.0, 0.0)))


def to_geojson(geometry: BaseGeometry, precision: int = 6) -> dict[str, Any]:
    """GeoJSON mapping of a shapely geometry with coordinates rounded to ``precision`` digits."""
    return mapping(shapely.set_precision(geometry, 10**-precision))
