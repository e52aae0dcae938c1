"""Which region of Peru a point lies in. Pure: no Django.

Built from the bundled Natural Earth admin-1 GeoJSON (see ``geo/data/README.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

BOUNDARIES_PATH = Path(__file__).resolve().parent.parent / "data" / "peru_admin1.geojson"


@dataclass(frozen=True)
class RegionShape:
    """A first-level division: ISO code, UBIGEO code, name and polygon."""

    code: str
    ubigeo: str
    name: str
    geometry: BaseGeometry


class RegionIndex:
    """Locate points in regions with an STRtree over the polygons.

    Examples
    --------
    >>> index = RegionIndex.from_geojson_file(BOUNDARIES_PATH)
    >>> index.locate(-7.8, -77.5).code      # Pataz, La Libertad
    'PE-LAL'
    >>> index.locate(40.4, -3.7) is None     # Madrid
    True
    """

    def __init__(self, regions: list[RegionShape]) -> None:
        if not regions:
            raise ValueError("a region index needs at least one region")
        self.regions = regions
        self._tree = shapely.STRtree([r.geometry for r in regions])

    @classmethod
    def from_geojson_file(cls, path: Path) -> RegionIndex:
        collection = json.loads(Path(path).read_text(encoding="utf-8"))
        regions = [
            RegionShape(
                code=feature["properties"]["code"],
                ubigeo=feature["properties"]["ubigeo"],
                name=feature["properties"]["name"],
                geometry=shape(feature["geometry"]),
            )
            for feature in collection["features"]
        ]
        return cls(regions)

    def locate(self, lat: float, lon: float, tolerance_deg: float = 0.02) -> RegionShape | None:
        """The region containing (lat, lon); else the nearest within ``tolerance_deg``.

        The tolerance (about 2 km) catches points on the coast or a border that
        the simplified boundaries put a little outside every polygon.
        """
        point = shapely.Point(lon, lat)
        for idx in self._tree.query(point, predicate="intersects"):
            return self.regions[int(idx)]
        nearest = self._tree.query_nearest(point, max_distance=tolerance_deg)
        return self.regions[int(nearest[0])] if len(nearest) else None


@lru_cache(maxsize=1)
def peru_regions() -> RegionIndex:
    """The bundled index of Peru's regions, loaded once."""
    return RegionIndex.from_geojson_file(BOUNDARIES_PATH)
