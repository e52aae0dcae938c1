"""Build the bundled offline basemap layers (src/minewatch/geo/data/basemap/) for Peru.

Inputs are public GeoJSON files the maintainer downloads by hand (see the README in
that folder for where each comes from and under which licence); nothing is fetched
here. Every layer is clipped to Peru (the union of the bundled regions, plus a small
margin so that rivers reaching the border are not cut short), simplified, and its
coordinates rounded to 4 decimals (about 11 m), which keeps the whole set near 1 MB.

Usage::

    python scripts/build_basemap.py --rivers ne_10m_rivers_lake_centerlines.json \
        --lakes ne_10m_lakes.json --places ne_10m_populated_places.json \
        --provinces peru_provincial_simple.geojson --capitals peru_capital_provincia.geojson
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.ops import unary_union

DATA = Path(__file__).resolve().parents[1] / "src" / "minewatch" / "geo" / "data"
OUT = DATA / "basemap"
MARGIN_DEG = 0.05


def rounded(value: Any, digits: int = 4) -> Any:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


def geometry_json(geometry: Any) -> dict[str, Any]:
    data = mapping(geometry)
    return {"type": data["type"], "coordinates": rounded(data["coordinates"])}


def write(name: str, features: list[dict[str, Any]]) -> None:
    path = OUT / f"{name}.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":"))  # fmt: skip
    path.write_text(text + "\n", encoding="utf-8")
    print(f"{path.name}: {len(features)} features, {len(text) / 1024:.0f} KiB")


def load(path: str) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["features"]


def peru_outline() -> Any:
    regions = json.loads((DATA / "peru_admin1.geojson").read_text(encoding="utf-8"))
    return unary_union([shape(f["geometry"]) for f in regions["features"]]).buffer(0)


def clipped(features: list[dict[str, Any]], peru: Any, tolerance_deg: float) -> list[tuple]:
    area = peru.buffer(MARGIN_DEG)
    out = []
    for feature in features:
        if not feature.get("geometry"):
            continue
        geometry = shape(feature["geometry"])
        if not geometry.intersects(area):
            continue
        geometry = geometry.intersection(area).simplify(tolerance_deg, preserve_topology=True)
        if not geometry.is_empty:
            out.append((geometry, feature["properties"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("rivers", "lakes", "places", "provinces", "capitals"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    peru = peru_outline()

    rivers = clipped(load(args.rivers), peru, 0.004)
    write("rivers", [
        {"type": "Feature", "geometry": geometry_json(g),
         "properties": {"name": p.get("name") or "", "rank": p.get("scalerank")}}
        for g, p in rivers if g.geom_type in ("LineString", "MultiLineString")
    ])  # fmt: skip

    lakes = clipped(load(args.lakes), peru, 0.002)
    write("lakes", [
        {"type": "Feature", "geometry": geometry_json(g),
         "properties": {"name": p.get("name") or "", "rank": p.get("scalerank")}}
        for g, p in lakes if g.geom_type in ("Polygon", "MultiPolygon")
    ])  # fmt: skip

    provinces = clipped(load(args.provinces), peru.buffer(1), 0.003)
    write("provinces", [
        {"type": "Feature", "geometry": geometry_json(g),
         "properties": {"name": p["NOMBPROV"].title(), "ubigeo": p["FIRST_IDPR"],
                        "department": p["FIRST_NOMB"].title()}}
        for g, p in provinces
    ])  # fmt: skip

    places: dict[tuple[float, float], dict[str, Any]] = {}
    for geometry, p in clipped(load(args.places), peru, 0):
        if p.get("ADM0_A3") != "PER":
            continue
        places[(round(geometry.y, 2), round(geometry.x, 2))] = {
            "type": "Feature", "geometry": geometry_json(geometry),
            "properties": {"name": p["NAME"], "population": p.get("POP_MAX"),
                           "capital": "national" if p.get("ADM0CAP") else
                           ("region" if p.get("FEATURECLA") == "Admin-1 capital" else ""),
                           "rank": p.get("SCALERANK")},
        }  # fmt: skip
    names = {f["properties"]["name"].lower() for f in places.values()}
    for geometry, p in clipped(load(args.capitals), peru, 0):
        name = p["CAPITAL"].title()
        if name.lower() in names:
            continue
        places[(round(geometry.y, 2), round(geometry.x, 2))] = {
            "type": "Feature", "geometry": geometry_json(geometry),
            "properties": {"name": name, "population": None, "capital": "province", "rank": 10},
        }  # fmt: skip
    write("places", sorted(places.values(), key=lambda f: f["properties"]["rank"] or 10))


if __name__ == "__main__":
    main()
