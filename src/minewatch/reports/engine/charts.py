"""Charts and the incident map as PNG images that print well (matplotlib, no display, no internet).

Grey-scale friendly: bars carry hatching as well as colour, the map draws boundaries in
thin grey and incidents as marker shapes per threat, so a black-and-white print still
reads. Everything takes plain numbers and GeoJSON-like dicts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import shapely
import shapely.geometry

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 130  # ~900 px across 17 cm: sharp on paper, small enough to lay out fast
SERIES_STYLES = (("#1f4e79", ""), ("#9dc3e6", "//"), ("#d9d9d9", ".."))
# One marker shape and colour per threat of the taxonomy (incidents/taxonomy.py).
THREAT_MARKERS = {"terrorism": "X", "social_conflict": "o", "illegal_mining": "^",
                  "organised_crime": "s", "internal": "D"}  # fmt: skip
THREAT_COLOURS = {"terrorism": "#7030a0", "social_conflict": "#548235",
                  "illegal_mining": "#c55a11", "organised_crime": "#c00000",
                  "internal": "#1f4e79"}  # fmt: skip


@dataclass(frozen=True)
class MapPoint:
    """One incident on the map."""

    lat: float
    lon: float
    threat: str


@dataclass(frozen=True)
class MapSite:
    """One of the organisation's sites on the map."""

    lat: float
    lon: float
    name: str


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def grouped_bars(
    categories: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str,
    ylabel: str,
) -> bytes:  # fmt: skip
    """A grouped bar chart: one group per category, one bar per series (at most three)."""
    if len(series) > len(SERIES_STYLES):
        raise ValueError(f"at most {len(SERIES_STYLES)} series, got {len(series)}")
    figure, axes = plt.subplots(figsize=(7.0, 2.8))
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.9)
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        colour, hatch = SERIES_STYLES[index]
        positions = [i + (index - (len(series) - 1) / 2) * width for i in range(len(categories))]
        axes.bar(positions, values, width, label=name, color=colour, hatch=hatch,
                 edgecolor="black", linewidth=0.4)  # fmt: skip
    axes.set_xticks(range(len(categories)), categories, fontsize=7)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=7, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def weekly_bars(labels: Sequence[str], counts: Sequence[int], *, title: str, ylabel: str) -> bytes:
    """One bar per week, its count written on top."""
    figure, axes = plt.subplots(figsize=(7.0, 2.2))
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.14, top=0.88)
    bars = axes.bar(range(len(labels)), counts, 0.6, color="#1f4e79", edgecolor="black",
                    linewidth=0.4)  # fmt: skip
    axes.bar_label(bars, fontsize=7)
    axes.set_xticks(range(len(labels)), labels, fontsize=7)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _clipped_rings(geometry: Mapping, box: tuple[float, float, float, float]) -> list:
    """The outer rings of ``geometry`` clipped to ``box`` and simplified to ~1 km (fewer vertices
    to draw: the full Peru outline at report scale costs a second per map otherwise)."""
    shape = shapely.clip_by_rect(shapely.geometry.shape(geometry), *box).simplify(0.01)
    polygons = getattr(shape, "geoms", [shape])
    return [list(p.exterior.coords) for p in polygons
            if isinstance(p, shapely.Polygon) and not p.is_empty]  # fmt: skip


def bounds(points: Sequence[MapPoint], sites: Sequence[MapSite], *, margin_deg: float = 0.5,
           min_span_deg: float = 2.0) -> tuple[float, float, float, float]:  # fmt: skip
    """``(min_lon, min_lat, max_lon, max_lat)`` around the points and sites with a margin.

    At least ``min_span_deg`` wide and high; all of Peru when there is nothing to show.
    """
    lons = [p.lon for p in points] + [s.lon for s in sites]
    lats = [p.lat for p in points] + [s.lat for s in sites]
    if not lons:
        return (-81.4, -18.4, -68.6, 0.1)
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_lon = max(margin_deg, (min_span_deg - (east - west)) / 2)
    pad_lat = max(margin_deg, (min_span_deg - (north - south)) / 2)
    return (west - pad_lon, south - pad_lat, east + pad_lon, north + pad_lat)


def incident_map(
    boundaries: Mapping, points: Sequence[MapPoint], sites: Sequence[MapSite], *,
    title: str, threat_labels: Mapping[str, str], site_label: str,
) -> bytes:  # fmt: skip
    """The month's incidents over the administrative boundaries (a GeoJSON FeatureCollection)."""
    west, south, east, north = bounds(points, sites)
    figure, axes = plt.subplots(figsize=(6.0, 5.0))
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.06, top=0.94)
    rings, labels = [], []
    for feature in boundaries.get("features", []):
        clipped = _clipped_rings(feature["geometry"], (west, south, east, north))
        rings.extend(clipped)
        name = feature.get("properties", {}).get("name")
        if name and clipped:
            largest = shapely.Polygon(max(clipped, key=len))
            if largest.area > 0.02 * (east - west) * (north - south):
                point = largest.representative_point()
                labels.append((point.x, point.y, name))
    axes.add_collection(PolyCollection(rings, facecolors="#f5f5f0", edgecolors="#7f7f7f",
                                       linewidths=0.5))  # fmt: skip
    for x, y, name in labels:
        axes.text(x, y, name, fontsize=6, color="#7f7f7f", ha="center", va="center")
    for threat in sorted({p.threat for p in points}):
        mine = [p for p in points if p.threat == threat]
        axes.scatter([p.lon for p in mine], [p.lat for p in mine], s=22,
                     marker=THREAT_MARKERS.get(threat, "o"),
                     color=THREAT_COLOURS.get(threat, "#404040"), edgecolors="black",
                     linewidths=0.4, label=f"{threat_labels.get(threat, threat)} ({len(mine)})",
                     zorder=3)  # fmt: skip
    if sites:
        axes.scatter([s.lon for s in sites], [s.lat for s in sites], s=60, marker="*",
                     color="white", edgecolors="black", linewidths=0.8, label=site_label,
                     zorder=4)  # fmt: skip
        for site in sites:
            axes.annotate(site.name, (site.lon, site.lat), xytext=(4, 4),
                          textcoords="offset points", fontsize=6, zorder=5)  # fmt: skip
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal")
    axes.tick_params(labelsize=6)
    axes.set_title(title, fontsize=9)
    if points or sites:
        axes.legend(fontsize=6, loc="lower left", framealpha=0.9)
    return _png(figure)
