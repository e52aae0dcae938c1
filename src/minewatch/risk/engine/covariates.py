"""Covariate maps: where the domain says incidents happen, before any incident is seen.

A mine's geography is known in advance: the roads its convoys take, the sites
themselves, the zones marked high-risk or illegal-mining hotspots. Incidents
cluster along and around them (blockades on the corridor, invasions at the
concession). Each covariate here is a probability map over the study area's
cells, like the kernel maps of :mod:`.mixture`, so the mixture can weigh it by
likelihood against the incident history: a covariate that explains past
incidents earns weight, one that does not gets none.

Geometries come in the study area's local metres (:func:`.grid.project_m`
around ``area.origin_lat``, ``area.origin_lon``), as shapely objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import shapely

from minewatch.risk.engine.grid import StudyArea

DEFAULT_ROUTE_SCALES_M = (1000.0, 3000.0)
DEFAULT_SITE_SCALES_M = (2000.0, 5000.0)
DEFAULT_ZONE_SCALES_M = (1000.0,)


def proximity_map(area: StudyArea, geometries: Iterable, scale_m: float) -> np.ndarray:
    """Probability per cell ∝ cell area × exp(-½ (d / scale)²), d = distance to the nearest geometry.

    Inside a polygon the distance is 0. Returns zeros when there is no geometry
    or every cell is so far that the weights underflow.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> m = proximity_map(area, [Point(0, 0)], 2000.0)  # doctest: +SKIP
    >>> round(float(m.sum()), 6)  # doctest: +SKIP
    1.0
    """
    if not scale_m > 0:
        raise ValueError(f"scale_m must be > 0 metres, got {scale_m!r}")
    shapes = [g for g in geometries if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(area.n_cells)
    union = shapely.union_all(shapes)
    distance = shapely.distance(shapely.points(area.x_m, area.y_m), union)
    weights = np.exp(-0.5 * (distance / scale_m) ** 2) * area.area_m2
    total = weights.sum()
    return weights / total if total > 0 else np.zeros(area.n_cells)


def geography_maps(
    area: StudyArea,
    routes: Iterable = (),
    sites: Iterable = (),
    zones: Iterable = (),
    route_scales_m: Iterable[float] = DEFAULT_ROUTE_SCALES_M,
    site_scales_m: Iterable[float] = DEFAULT_SITE_SCALES_M,
    zone_scales_m: Iterable[float] = DEFAULT_ZONE_SCALES_M,
) -> dict[str, np.ndarray]:
    """Proximity maps to routes (lines), sites (points) and risk zones (polygons), by scale.

    Names say what and how far: ``"routes 1 km"``, ``"sites 5 km"``, ``"zones 1 km"``.
    A kind with no geometry gives no map.
    """
    maps: dict[str, np.ndarray] = {}
    for kind, shapes, scales in (
        ("routes", list(routes), route_scales_m),
        ("sites", list(sites), site_scales_m),
        ("zones", list(zones), zone_scales_m),
    ):
        if not shapes:
            continue
        for scale in scales:
            values = proximity_map(area, shapes, scale)
            if values.sum() > 0:
                maps[f"{kind} {scale / 1000:g} km"] = values
    return maps


def check_covariates(area: StudyArea, covariates: Mapping[str, np.ndarray] | None) -> dict:
    """Covariates as probability maps (each summing to one); empty maps are dropped.

    Raises ValueError naming the covariate when a map has the wrong length, a
    negative or non-finite value.
    """
    checked: dict[str, np.ndarray] = {}
    for name, values in (covariates or {}).items():
        array = np.asarray(values, float)
        if array.shape != (area.n_cells,):
            raise ValueError(
                f"covariate {name!r}: {array.shape} values for {area.n_cells} cells of the study area"
            )
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError(f"covariate {name!r}: values must be finite and >= 0")
        total = array.sum()
        if total > 0:
            checked[str(name)] = array / total
    return checked
