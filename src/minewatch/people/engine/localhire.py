"""The hire-from-outside rule. Pure: where a person lives and where the site is.

The seed's preventive method has private security companies hire personnel from outside
the area of operation: a guard from the neighbouring community has family and neighbours
on the other side of a land dispute or an illegal mining crew, can be pressured or bribed
through them, and is a target when tensions rise. So a person whose home district lies
within a configurable distance of a site, or in the same province, is flagged when
posted to it; the organisation decides whether that only warns or refuses the posting.
"""

from __future__ import annotations

import math

OFF, WARN, REFUSE = "off", "warn", "refuse"
SAME_PROVINCE, WITHIN_DISTANCE = "same_province", "within_distance"
EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine).

    >>> round(distance_km(-12.05, -77.04, -16.40, -71.54))  # Lima - Arequipa
    766
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def local_hire(*, home_ubigeo: str, home: tuple[float, float] | None, site_ubigeo: str,
               site: tuple[float, float] | None, max_km: float) -> str | None:  # fmt: skip
    """Why the person counts as hired locally for the site (None: from outside).

    Same province: the first four digits of the two district UBIGEO codes match.
    Within distance: the home district's centroid is ``max_km`` or less from the site.
    """
    if len(home_ubigeo) == 6 and len(site_ubigeo) == 6 and home_ubigeo[:4] == site_ubigeo[:4]:
        return SAME_PROVINCE
    near = (home is not None and site is not None and max_km > 0
            and distance_km(home[0], home[1], site[0], site[1]) <= max_km)  # fmt: skip
    if near:
        return WITHIN_DISTANCE
    return None
