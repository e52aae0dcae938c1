"""The organisations' geography as forecast covariates: routes, sites and risk zones.

The forecast's kernel mixture (``risk.engine.mixture``) weighs each map here by how
well it explained past incidents, so a corridor where blockades happen, or the
ground around a site that is invaded, raises the forecast of nearby cells that have
no incident yet, and geography that explains nothing gets no weight. The caller
scopes the geography to some organisations or to what a reader may see, so a
forecast never leans on another organisation's sites.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import h3
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


class Geography:
    """The geography of some organisations and/or what a reader may see, for a forecast.

    Called with a study area it returns the covariate maps (``area -> maps``, what
    ``run_backtest`` and ``forecast_cells`` take); :meth:`cells` lists the H3 cells on and
    around it, so a forecast can rank a stretch of road that has had no incident yet.
    """

    MAX_CELLS = 50_000  # beyond this (a very fine resolution) the area is not extended

    def __init__(self, organisation_ids: Iterable[int] | None = None, user: Any = None) -> None:
        self.organisation_ids = None if organisation_ids is None else list(organisation_ids)
        self.user = user

    def querysets(self) -> dict[str, QuerySet]:
        sets = {"sites": Site.objects.all(), "routes": Route.objects.all(),
                "zones": Zone.objects.all()}  # fmt: skip
        if self.organisation_ids is not None:
            sets = {k: q.filter(organisation_id__in=self.organisation_ids) for k, q in sets.items()}
        if self.user is not None:
            from minewatch.core.tenancy import restrict

            sets = {k: restrict(q, self.user) for k, q in sets.items()}
        return sets

    def __call__(self, area: StudyArea) -> dict[str, np.ndarray]:
        """Nearness maps to the active sites, the routes and the high-risk / illegal-mining zones."""
        sets = self.querysets()
        return geography_maps(
            area,
            routes=[_to_local(shape(r.geometry), area) for r in sets["routes"] if r.geometry],
            sites=_site_points(sets["sites"].filter(is_active=True), area),
            zones=_zone_shapes(sets["zones"].filter(kind__in=RISK_ZONE_KINDS), area),
        )

    def cells(self, resolution: int) -> set[str]:
        """H3 cells of the active sites, along the routes and in the risk zones, plus one ring."""
        sets = self.querysets()
        core: set[str] = set()
        for site in sets["sites"].filter(is_active=True):
            core.add(h3.latlng_to_cell(site.lat, site.lon, resolution))
        for route in sets["routes"]:
            if not route.geometry:
                continue
            ends = [
                h3.latlng_to_cell(lat, lon, resolution) for lon, lat in shape(route.geometry).coords
            ]
            for a, b in zip(ends, ends[1:], strict=False):
                core.update(h3.grid_path_cells(a, b))
                if len(core) > self.MAX_CELLS:
                    return set()
            core.update(ends)
        edge_m = h3.average_hexagon_edge_length(resolution, unit="m")
        for zone in sets["zones"].filter(kind__in=RISK_ZONE_KINDS):
            if zone.shape == ZoneShape.CIRCLE and zone.center_lat is not None:
                rings = int(min(50, math.ceil((zone.radius_m or 0) / (1.5 * edge_m))))
                centre = h3.latlng_to_cell(zone.center_lat, zone.center_lon, resolution)
                core.update(h3.grid_disk(centre, rings))
            elif zone.geometry:
                core.update(h3.geo_to_cells(zone.geometry, resolution))
        if len(core) > self.MAX_CELLS:
            return set()
        return {c for cell in core for c in h3.grid_disk(cell, 1)}


def covariates_for(organisation_ids: Iterable[int] | None = None, user: Any = None) -> Geography:
    """The :class:`Geography` of some organisations and/or of what ``user`` may see."""
    return Geography(organisation_ids, user)
