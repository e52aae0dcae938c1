"""Study areas: the fixed set of cells a forecast ranks (H3 hexagons or squares).

A forecast is only comparable across days and methods when the set of cells it
ranks (the *study area*) is fixed. :func:`build_study_area` defines it as the
H3 cells whose centre lies inside the convex hull of the given points,
buffered by one cell edge, plus every cell that holds one of the points, so no
event ever falls outside the area. Distances use a local equirectangular
projection around the points' centroid (error < 0.5 % over 100 km), which is
all a ranking of hexagons needs.

The product grid is H3 (``grid="h3"``: the web map and the API speak hexagons).
``grid="square"`` builds a :class:`SquareStudyArea` instead: squares of a given
side in that same local projection, ids ``"sq:<side>:<ix>:<iy>"``, so a method
can be compared with another tool's square grid on exactly the same cells. The
engine only talks to a grid through the area's methods: :meth:`StudyArea.locate`,
:meth:`~StudyArea.edge_m`, :meth:`~StudyArea.ring`, :meth:`~StudyArea.ring_size`,
:meth:`~StudyArea.parents` and :attr:`~StudyArea.max_levels_up`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import h3
import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon

EARTH_RADIUS_M = 6_371_008.8
MIN_RESOLUTION = 0
MAX_RESOLUTION = 15
GRIDS = ("h3", "square")
SQUARE_APERTURE = 3  # a square's parent is a block of 3 × 3 (H3's edge ratio per level: √7 ≈ 2.65)


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

    grid = "h3"

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

    @property
    def max_levels_up(self) -> int:
        """How many coarser levels :meth:`parents` offers (H3: down to resolution 0)."""
        return self.resolution

    def edge_m(self, levels_up: int = 0) -> float:
        """Mean cell edge in metres, of this grid or of its ancestors ``levels_up`` coarser."""
        return float(h3.average_hexagon_edge_length(self.resolution - levels_up, unit="m"))

    def scale_edge_m(self) -> float:
        """The cell size methods express their scales in ("cell edges"), metres.

        The edge of a regular hexagon of the grid's mean cell area: for H3 its mean
        edge (:meth:`edge_m`); for squares of the same area the same value, so a
        method's metric scales (kernel bandwidths, the mixture's candidate set) do
        not change with the grid, only the cells do.
        """
        return self.edge_m()

    def parents(self, levels_up: int) -> np.ndarray:
        """Group number of each cell's H3 ancestor ``levels_up`` resolutions coarser."""
        _check_levels_up(self, levels_up)
        parents = [h3.cell_to_parent(c, self.resolution - levels_up) for c in self.cells]
        _, groups = np.unique(np.array(parents), return_inverse=True)
        return groups

    def ring(self, position: int, k: int) -> list[int]:
        """Positions of the area's cells at grid distance exactly ``k`` from cell ``position``."""
        if k == 0:
            return [int(position)]
        found = (
            self._position.get(c, -1) for c in sorted(h3.grid_ring(str(self.cells[position]), k))
        )
        return [j for j in found if j >= 0]

    def ring_size(self, k: int) -> int:
        """Cells in a full ring ``k`` (hexagons: 6k)."""
        return 1 if k == 0 else 6 * k


def _check_levels_up(area: StudyArea, levels_up: int) -> None:
    if not isinstance(levels_up, int | np.integer) or not 1 <= levels_up <= area.max_levels_up:
        raise ValueError(f"levels_up must be 1..{area.max_levels_up}, got {levels_up!r}")


@dataclass(frozen=True)
class SquareStudyArea(StudyArea):
    """Square cells of side ``cell_m`` in the local projection (``grid="square"``).

    Square ``(ix, iy)`` covers ``[offset_x_m + ix·side, offset_x_m + (ix+1)·side)`` and the
    same in y, in the metres of :func:`project_m` around ``(origin_lat, origin_lon)``; its id
    is ``"sq:<side>:<ix>:<iy>"``. ``resolution`` is ``-1`` (no H3 resolution). Rings are
    Chebyshev rings (8k squares), parents are blocks of ``SQUARE_APERTURE``² squares per
    level, and the edge is the side (:meth:`edge_m`); methods size their scales by
    :meth:`scale_edge_m`, the edge of a hexagon of the same area, as on H3.
    """

    cell_m: float = 0.0
    offset_x_m: float = 0.0
    offset_y_m: float = 0.0
    ix: np.ndarray = field(repr=False, compare=False, default=None)
    iy: np.ndarray = field(repr=False, compare=False, default=None)
    _index: dict = field(repr=False, compare=False, default_factory=dict)

    grid = "square"

    def square_of(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer square coordinates of points in the local metres."""
        ix = np.floor((np.asarray(x_m, float) - self.offset_x_m) / self.cell_m).astype(np.int64)
        iy = np.floor((np.asarray(y_m, float) - self.offset_y_m) / self.cell_m).astype(np.int64)
        return ix, iy

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Cell position of each point, ``-1`` for points outside the area."""
        ix, iy = self.square_of(*project_m(lat, lon, self.origin_lat, self.origin_lon))
        index = self._index
        return np.fromiter(
            (index.get(key, -1) for key in zip(ix.tolist(), iy.tolist(), strict=True)),
            dtype=np.int64,
            count=len(ix),
        )

    @property
    def max_levels_up(self) -> int:
        """Levels until one block spans the whole area (at least 1)."""
        span = int(max(np.ptp(self.ix), np.ptp(self.iy))) + 1
        return max(1, math.ceil(math.log(span, SQUARE_APERTURE) - 1e-9))

    def edge_m(self, levels_up: int = 0) -> float:
        """The side of a square, or of a block ``levels_up`` levels coarser."""
        return float(self.cell_m * SQUARE_APERTURE**levels_up)

    def scale_edge_m(self) -> float:
        """Edge of the regular hexagon of a square's area: √(2 / (3√3)) · side ≈ 0.62 · side."""
        return float(self.cell_m * math.sqrt(2.0 / (3.0 * math.sqrt(3.0))))

    def parents(self, levels_up: int) -> np.ndarray:
        """Group number of each square's block of ``SQUARE_APERTURE**levels_up`` squares a side."""
        _check_levels_up(self, levels_up)
        block = SQUARE_APERTURE**levels_up
        keys = np.column_stack([self.ix // block, self.iy // block])
        _, groups = np.unique(keys, axis=0, return_inverse=True)
        return groups.ravel()

    def ring(self, position: int, k: int) -> list[int]:
        """Positions of the squares at Chebyshev distance exactly ``k`` (sorted by id)."""
        if k == 0:
            return [int(position)]
        x, y = int(self.ix[position]), int(self.iy[position])
        ring = [(x + d, y + e) for d in range(-k, k + 1) for e in range(-k, k + 1)]
        found = [
            self._index.get(key, -1) for key in ring if max(abs(key[0] - x), abs(key[1] - y)) == k
        ]
        return sorted(j for j in found if j >= 0)

    def ring_size(self, k: int) -> int:
        """Squares in a full Chebyshev ring ``k``: 8k."""
        return 1 if k == 0 else 8 * k


def check_grid(grid: str) -> str:
    """Return ``grid`` or raise ValueError naming the field when it is not a known grid."""
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {', '.join(GRIDS)}, got {grid!r}")
    return grid


def square_id(cell_m: float, ix: int, iy: int) -> str:
    """The id of square ``(ix, iy)`` of side ``cell_m``: ``"sq:<side>:<ix>:<iy>"``."""
    return f"sq:{cell_m:.6g}:{int(ix)}:{int(iy)}"


def square_study_area(
    region,
    origin_lat: float,
    origin_lon: float,
    cell_m: float,
    offset_m: tuple[float, float] | None = None,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
) -> SquareStudyArea:
    """Squares of side ``cell_m`` whose centre is in ``region``, plus every square holding a point.

    Parameters
    ----------
    region : shapely geometry
        The study region in the local metres of :func:`project_m` around the origin.
    origin_lat, origin_lon : float
        Origin of the local projection, degrees.
    cell_m : float
        Side of the squares, metres (> 0).
    offset_m : (float, float), optional
        Corner of square (0, 0); default: the region's lower-left bound (open_cp's rule).
    lat, lon : numpy.ndarray, optional
        Points whose squares are always kept (the events), degrees.
    """
    if not (isinstance(cell_m, int | float | np.floating) and cell_m > 0 and math.isfinite(cell_m)):
        raise ValueError(f"cell_m must be a side > 0 metres, got {cell_m!r}")
    cell_m = float(cell_m)
    x0, y0 = offset_m if offset_m is not None else region.bounds[:2]
    minx, miny, maxx, maxy = region.bounds
    ix0, iy0 = math.floor((minx - x0) / cell_m), math.floor((miny - y0) / cell_m)
    ix1, iy1 = math.floor((maxx - x0) / cell_m), math.floor((maxy - y0) / cell_m)
    gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region, x0 + (gx + 0.5) * cell_m, y0 + (gy + 0.5) * cell_m)
    keys = set(zip(gx[inside].tolist(), gy[inside].tolist(), strict=True))
    if lat is not None and len(lat):
        px, py = project_m(lat, lon, origin_lat, origin_lon)
        ex = np.floor((px - x0) / cell_m).astype(np.int64)
        ey = np.floor((py - y0) / cell_m).astype(np.int64)
        keys.update(zip(ex.tolist(), ey.tolist(), strict=True))
    if not keys:
        raise ValueError("a study area needs at least one square, got none")
    ids = sorted((square_id(cell_m, x, y), x, y) for x, y in keys)
    ix = np.array([x for _, x, _ in ids], dtype=np.int64)
    iy = np.array([y for _, _, y in ids], dtype=np.int64)
    cells = np.array([c for c, _, _ in ids])
    return SquareStudyArea(
        resolution=-1,
        cells=cells,
        x_m=x0 + (ix + 0.5) * cell_m,
        y_m=y0 + (iy + 0.5) * cell_m,
        area_m2=np.full(len(cells), cell_m**2),
        origin_lat=float(origin_lat),
        origin_lon=float(origin_lon),
        _position={c: i for i, c in enumerate(cells)},
        cell_m=cell_m,
        offset_x_m=float(x0),
        offset_y_m=float(y0),
        ix=ix,
        iy=iy,
        _index={(int(x), int(y)): i for i, (x, y) in enumerate(zip(ix, iy, strict=True))},
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
    lat: np.ndarray,
    lon: np.ndarray,
    resolution: int,
    buffer_cells: float = 1.0,
    grid: str = "h3",
    cell_m: float | None = None,
) -> StudyArea:
    """Cells covering the convex hull of the points, buffered.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Event coordinates, degrees (WGS 84).
    resolution : int
        H3 resolution, 0..15 (9 is ~0.1 km² per cell, 10 is ~0.015 km²).
    buffer_cells : float
        Buffer around the hull, in mean cell edge lengths (squares: sides).
    grid : {"h3", "square"}
        ``"h3"`` (the product grid) or squares in the local projection
        (:func:`square_study_area`, aligned to the buffered hull's lower-left corner).
    cell_m : float, optional
        Side of the squares; default: the square root of the mean H3 cell area at
        ``resolution`` (squares of the same area as the hexagons). H3 ignores it.

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
    if check_grid(grid) == "square":
        side = (
            cell_m
            if cell_m is not None
            else math.sqrt(h3.average_hexagon_area(resolution, unit="m^2"))
        )
        origin_lat, origin_lon = float(lat.mean()), float(lon.mean())
        x_m, y_m = project_m(lat, lon, origin_lat, origin_lon)
        if not (isinstance(side, int | float | np.floating) and side > 0):
            raise ValueError(f"cell_m must be a side > 0 metres, got {side!r}")
        hull = MultiPoint(np.column_stack([x_m, y_m])).convex_hull.buffer(buffer_cells * side)
        return square_study_area(hull, origin_lat, origin_lon, side, lat=lat, lon=lon)
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
    return gaussian_operator_xy(area.x_m, area.y_m, bandwidth_m, cutoff_sigmas)


def gaussian_operator_xy(x_m, y_m, bandwidth_m: float, cutoff_sigmas: float = 3.0):
    """:func:`gaussian_operator` between any points (local metres), columns summing to one."""
    if not bandwidth_m > 0:
        raise ValueError(f"bandwidth_m must be > 0 metres, got {bandwidth_m!r}")
    n = len(x_m)
    points = np.column_stack([x_m, y_m])
    tree = cKDTree(points)
    distances = tree.sparse_distance_matrix(
        tree, cutoff_sigmas * bandwidth_m, output_type="coo_matrix"
    )
    rows = np.concatenate([distances.row, np.arange(n)])
    cols = np.concatenate([distances.col, np.arange(n)])
    dist = np.concatenate([distances.data, np.zeros(n)])
    keep = (dist > 0) | (rows == cols)
    rows, cols, dist = rows[keep], cols[keep], dist[keep]
    weights = np.exp(-0.5 * (dist / bandwidth_m) ** 2)
    matrix = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))
    column_sums = np.asarray(matrix.sum(axis=0)).ravel()
    return (matrix @ sparse.diags(1.0 / column_sums)).tocsr()


def parent_groups(area: StudyArea, levels_up: int) -> np.ndarray:
    """Group number of each cell's ancestor ``levels_up`` levels coarser (:meth:`StudyArea.parents`)."""
    return area.parents(levels_up)


def check_prior(area: StudyArea, prior: np.ndarray | None) -> np.ndarray | None:
    """A covariate prior per cell (finite, >= 0), or ValueError naming ``prior``."""
    if prior is None:
        return None
    prior = np.asarray(prior, float)
    if prior.shape != (area.n_cells,) or np.any(prior < 0) or not np.all(np.isfinite(prior)):
        raise ValueError(f"prior must be {area.n_cells} finite values >= 0, one per cell")
    return prior
