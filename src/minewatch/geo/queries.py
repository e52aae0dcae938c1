"""Read-only queries of the geo app (already limited to what the caller may see)."""

from __future__ import annotations

import math

from django.db.models import Q, QuerySet
from shapely.geometry import Point, shape

from minewatch.geo.engine import geometry as geom
from minewatch.geo.models import Site

# Metres in one degree of latitude (and of longitude at the equator), for a bbox margin.
METRES_PER_DEGREE = 111_320.0


def nearest_site(
    sites: QuerySet[Site], lat: float, lon: float, *, max_distance_m: float
) -> tuple[Site, float] | None:
    """The active site of ``sites`` nearest to the point, and how far (metres), within
    ``max_distance_m`` of its boundary (its centre when it has none); None beyond it.

    ``sites`` is already limited to what the caller may see (``restrict``).
    """
    if max_distance_m <= 0:
        return None
    margin_lat = max_distance_m / METRES_PER_DEGREE
    margin_lon = margin_lat / max(math.cos(math.radians(lat)), 0.01)
    near_centre = Q(lat__range=(lat - margin_lat, lat + margin_lat),
                    lon__range=(lon - margin_lon, lon + margin_lon))  # fmt: skip
    near_bounds = Q(min_lat__lte=lat + margin_lat, max_lat__gte=lat - margin_lat,
                    min_lon__lte=lon + margin_lon, max_lon__gte=lon - margin_lon)  # fmt: skip
    best: tuple[Site, float] | None = None
    for site in sites.filter(near_centre | near_bounds, is_active=True):
        outline = shape(site.geometry) if site.geometry else Point(site.lon, site.lat)
        distance = geom.distance_m(lat, lon, outline)
        if distance <= max_distance_m and (best is None or distance < best[1]):
            best = (site, distance)
    return best
