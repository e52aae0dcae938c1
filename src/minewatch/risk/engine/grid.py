"""H3 study areas: the fixed set of hexagons a forecast ranks.

A forecast is only comparable across days and methods when the set of cells it
ranks (the *study area*) is fixed. :func:`build_study_area` defines it as the
H3 cells whose centre lies inside the convex hull of the given points,
buffered by one cell edge, plus every cell that holds one of the points, so no
event ever falls outside the area. Distances use a local equirectangular
projection around the points' centroid (error < 0.5 % over 100 km), which is
all a ranking of hexagons needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import h3
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon

EARTH_RADIUS_M = 6_371_008.8
MIN_RESOLUTION = 0
MAX_RESOLUTION = 15


@dataclass(frozen=True)
class StudyArea:
    """The H3 cells a forecast ranks, with their geometry.

    Attributes
    ----------
    resolution : int
        H3 resolution of every cell.
    cells : numpy.ndarray
        H3 indexes as strings, sorted; position ``i`` is "cell ``i``" everywhere.
    x_m, y_m : numpy.ndarray
        Cell centres in the local projection, metres.
    area_m2 : numpy.ndarray
        Area of each cell, square metres.
    origin_lat, origin_lon : float
        Origin of the local projection, degrees.
    """

    resolution: int
    cells: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    area_m2: np.ndarray
    origin_lat: float
    origin_lon: float
    _position: dict[str, int] = field(repr=False, compare=False, default_factory=dict)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def total_area_m2(self) -> float:
        return float(self.area_m2.sum())

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Cell position of each point, ``-1`` for points outside the area."""
        position = self._position
        return np.fromiter(
            (
                position.get(h3.latlng_to_cell(a, o, self.resolution), -1)
                for a, o in zip(np.asarray(lat, float), np.asarray(lon, float), strict=True)
            ),
            dtype=np.int64,
            count=len(lat),
        )


def check_resolution(resolution: int) -> int:
    """Return ``resolution`` or raise ValueError when it is not an H3 resolution."""
    if not isinstance(resolution, int | np.integer) or not (
        MIN_RESOLUTION <= resolution <= MAX_RESOLUTION
    ):
        raise ValueError(f"H3 resolution must be an integer 0..15, got {resolution!r}")
    return int(resolution)


def project_m(
    lat: np.ndarray, lon: np.ndarray, origin_lat: float, origin_lon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Project degrees to local metres (equirectangular around the origin)."""
    cos0 = math.cos(math.radians(origin_lat))
    x_m = np.radians(np.asarray(lon, float) - origin_lon) * EARTH_RADIUS_M * cos0
    y_m = np.radians(np.asarray(lat, float) - origin_lat) * EARTH_RADIUS_M
    return x_m, y_m


def unproject_deg(
    x_m: np.ndarray, y_m: np.ndarray, origin_lat: float, origin_lon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`project_m`: local metres back to (lat, lon) degrees."""
    cos0 = math.cos(math.radians(origin_lat))
    lat = origin_lat + np.degrees(np.asarray(y_m, float) / EARTH_RADIUS_M)
    lon = origin_lon + np.degrees(np.asarray(x_m, float) / (EARTH_RADIUS_M * cos0))
    return lat, lon


def study_area_from_cells(cells: list[str] | np.ndarray, resolution: int) -> StudyArea:
    """Build a :class:`StudyArea` from explicit H3 cells (all at ``resolution``)."""
    resolution = check_resolution(resolution)
    unique = sorted(set(str(c) for c in cells))
    if not unique:
        raise ValueError("a study area needs at least one H3 cell, got none")
    bad = [c for c in unique if not h3.is_valid_cell(c) or h3.get_resolution(c) != resolution]
    if bad:
        raise ValueError(f"cells {bad[:3]} are not valid H3 cells at resolution {resolution}")
    centres = np.array([h3.cell_to_latlng(c) for c in unique])
    origin_lat, origin_lon = float(centres[:, 0].mean()), float(centres[:, 1].mean())
    x_m, y_m = project_m(centres[:, 0], centres[:, 1], origin_lat, origin_lon)
    area = np.array([h3.cell_area(c, unit="m^2") for c in unique])
    return StudyArea(
        resolution=resolution,
        cells=np.array(unique),
        x_m=x_m,
        y_m=y_m,
        area_m2=area,
        origin_lat=origin_lat,
        origin_lon=origin_lon,
        _position={c: i for i, c in enumerate(unique)},
    )


def study_hull_m(
    lat: np.ndarray, lon: np.ndarray, resolution: int, buffer_cells: float = 1.0
) -> tuple[Polygon, float, float]:
    """Convex hull of the points buffered by ``buffer_cells`` cell edges, in local metres.

    Returns the polygon and the projection origin (lat, lon) it is expressed in.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    origin_lat, origin_lon = float(lat.mean()), float(lon.mean())
    x_m, y_m = project_m(lat, lon, origin_lat, origin_lon)
    edge_m = h3.average_hexagon_edge_length(check_resolution(resolution), unit="m")
    hull = MultiPoint(np.column_stack([x_m, y_m])).convex_hull.buffer(buffer_cells * edge_m)
    return hull, origin_lat, origin_lon


def build_study_area(
    lat: np.ndarray, lon: np.ndarray, resolution: int, buffer_cells: float = 1.0
) -> StudyArea:
    """Cells covering the convex hull of the points, buffered.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Event coordinates, degrees (WGS 84).
    resolution : int
        H3 resolution, 0..15 (9 is ~0.1 km² per cell, 10 is ~0.015 km²).
    buffer_cells : float
        Buffer around the hull, in mean cell edge lengths.

    Returns
    -------
    StudyArea
        Cells whose centre is inside the buffered hull, plus every cell that
        holds a point (so every point is inside the area).

    Examples
    --------
    >>> area = build_study_area(np.array([-14.0, -14.01]), np.array([-72.0, -72.01]), 9)
    >>> area.n_cells > 2
    True
    """
    resolution = check_resolution(resolution)
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    if len(lat) == 0:
        raise ValueError("a study area needs at least one event, got none")
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        raise ValueError("latitudes must be within ±90 degrees and longitudes within ±180")
    hull, origin_lat, origin_lon = study_hull_m(lat, lon, resolution, buffer_cells)
    ring_lat, ring_lon = unproject_deg(*hull.exterior.xy, origin_lat, origin_lon)
    shape = h3.LatLngPoly(list(zip(ring_lat, ring_lon, strict=True)))
    cells = set(h3.polygon_to_cells(shape, resolution))
    cells.update(h3.latlng_to_cell(a, o, resolution) for a, o in zip(lat, lon, strict=True))
    return study_area_from_cells(sorted(cells), resolution)


def gaussian_operator(area: StudyArea, bandwidth_m: float, cutoff_sigmas: float = 3.0):
    """Sparse cell-to-cell Gaussian weights, each column summing to one.

    ``operator @ counts`` spreads each cell's count over its neighbours with a
    Gaussian of standard deviation ``bandwidth_m`` (cut at ``cutoff_sigmas``),
    which is a kernel density estimate evaluated on the cells. Columns are
    normalised so the spread conserves the count even at the area's edge.
    """
    if not bandwidth_m > 0:
        raise ValueError(f"bandwidth_m must be > 0 metres, got {bandwidth_m!r}")
    points = np.column_stack([area.x_m, area.y_m])
    tree = cKDTree(points)
    distances = tree.sparse_distance_matrix(
        tree, cutoff_sigmas * bandwidth_m, output_type="coo_matrix"
    )
    rows = np.concatenate([distances.row, np.arange(area.n_cells)])
    cols = np.concatenate([distances.col, np.arange(area.n_cells)])
    dist = np.concatenate([distances.data, np.zeros(area.n_cells)])
    keep = (dist > 0) | (rows == cols)
    rows, cols, dist = rows[keep], cols[keep], dist[keep]
    weights = np.exp(-0.5 * (dist / bandwidth_m) ** 2)
    matrix = sparse.csr_matrix((weights, (rows, cols)), shape=(area.n_cells, area.n_cells))
    column_sums = np.asarray(matrix.sum(axis=0)).ravel()
    return (matrix @ sparse.diags(1.0 / column_sums)).tocsr()


def parent_groups(area: StudyArea, levels_up: int) -> np.ndarray:
    """Group number of each cell's H3 ancestor ``levels_up`` resolutions coarser."""
    if not 1 <= levels_up <= area.resolution:
        raise ValueError(f"levels_up must be 1..{area.resolution}, got {levels_up!r}")
    parents = [h3.cell_to_parent(c, area.resolution - levels_up) for c in area.cells]
    _, groups = np.unique(np.array(parents), return_inverse=True)
    return groups


def check_prior(area: StudyArea, prior: np.ndarray | None) -> np.ndarray | None:
    """A covariate prior per cell (finite, >= 0), or ValueError naming ``prior``."""
    if prior is None:
        return None
    prior = np.asarray(prior, float)
    if prior.shape != (area.n_cells,) or np.any(prior < 0) or not np.all(np.isfinite(prior)):
        raise ValueError(f"prior must be {area.n_cells} finite values >= 0, one per cell")
    return prior
