"""The organisations' geography as forecast covariates: routes, sites and risk zones.

The forecast's kernel mixture (``risk.engine.mixture``) weighs each map here by how
well it explained past incidents, so a corridor where blockades happen, or the
ground around a site that is invaded, raises the forecast of nearby cells that have
no incident yet, and geography that explains nothing gets no weight. The caller
passes the geography the reader may see (tenant-scoped querysets), so a forecast
never leans on another organisation's sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import shapely
from django.db.models import QuerySet
from shapely.geometry import Point, shape

from minewatch.geo.choices import ZoneKind, ZoneShape
from minewatch.geo.models import Route, Site, Zone
from minewatch.risk.engine.covariates import geography_maps
from minewatch.risk.engine.grid import StudyArea, project_m

RISK_ZONE_KINDS = (ZoneKind.HIGH_RISK, ZoneKind.ILLEGAL_MINING_HOTSPOT)


def _to_local(geometry: Any, area: StudyArea) -> Any:
    """A lon/lat shapely geometry in the study area's local metres."""

    def project(coords: np.ndarray) -> np.ndarray:
        x_m, y_m = project_m(coords[:, 1], coords[:, 0], area.origin_lat, area.origin_lon)
        return np.column_stack([x_m, y_m])

    return shapely.transform(geometry, project)


def _site_points(sites: Iterable[Site], area: StudyArea) -> list[Point]:
    rows = [(s.lat, s.lon) for s in sites]
    if not rows:
        return []
    lat, lon = np.array(rows).T
    x_m, y_m = project_m(lat, lon, area.origin_lat, area.origin_lon)
    return [Point(x, y) for x, y in zip(x_m, y_m, strict=True)]


def _zone_shapes(zones: Iterable[Zone], area: StudyArea) -> list[Any]:
    shapes = []
    for zone in zones:
        if zone.shape == ZoneShape.CIRCLE and zone.center_lat is not None and zone.radius_m:
            (x_m,), (y_m,) = project_m(
                np.array([zone.center_lat]), np.array([zone.center_lon]),
                area.origin_lat, area.origin_lon,
            )  # fmt: skip
            shapes.append(Point(x_m, y_m).buffer(zone.radius_m))
        elif zone.geometry:
            shapes.append(_to_local(shape(zone.geometry), area))
    return shapes


def geography_covariates(
    area: StudyArea,
    *,
    sites: QuerySet | None = None,
    routes: QuerySet | None = None,
    zones: QuerySet | None = None,
) -> dict[str, np.ndarray]:
    """Nearness maps to the active sites, the routes and the high-risk / illegal-mining zones.

    Each queryset defaults to every row; pass tenant-scoped ones for a reader.
    """
    sites = Site.objects.all() if sites is None else sites
    routes = Route.objects.all() if routes is None else routes
    zones = Zone.objects.all() if zones is None else zones
    route_shapes = [_to_local(shape(r.geometry), area) for r in routes if r.geometry]
    return geography_maps(
        area,
        routes=route_shapes,
        sites=_site_points(sites.filter(is_active=True), area),
        zones=_zone_shapes(zones.filter(kind__in=RISK_ZONE_KINDS), area),
    )


def covariates_for(
    organisation_ids: Iterable[int] | None = None, user: Any = None
) -> Callable[[StudyArea], dict[str, np.ndarray]]:
    """``area -> maps`` over the geography of some organisations and/or what ``user`` may see."""

    def build(area: StudyArea) -> dict[str, np.ndarray]:
        querysets = {"sites": Site.objects.all(), "routes": Route.objects.all(),
                     "zones": Zone.objects.all()}  # fmt: skip
        if organisation_ids is not None:
            ids = list(organisation_ids)
            querysets = {k: q.filter(organisation_id__in=ids) for k, q in querysets.items()}
        if user is not None:
            from minewatch.core.tenancy import restrict

            querysets = {k: restrict(q, user) for k, q in querysets.items()}
        return geography_covariates(area, **querysets)

    return build
