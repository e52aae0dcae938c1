"""The anonymised research export: generalise, then suppress every cell smaller than k.

Each released row is one incident reduced to quasi-identifiers a researcher can use —
place (a department UBIGEO or a coarse grid cell), period (the ISO week), threat and
type — plus its severity and casualty counts. Names, narratives, sources, exact times,
exact coordinates and the reporting company never enter :class:`ResearchIncident`, so
they cannot leave. A (place, period, type) cell with fewer than ``k`` incidents is
suppressed whole (k-anonymity, Sweeney 2002): its rows are dropped and counted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

GENERALISATIONS = ("region", "grid")


@dataclass(frozen=True)
class ResearchIncident:
    """The only facts of an incident the research export sees (confidential ones never come)."""

    occurred_at: dt.datetime
    lat: float
    lon: float
    region_ubigeo: str
    threat: str
    incident_type: str
    severity: int
    fatalities: int
    injured: int
    kidnapped: int


@dataclass
class ResearchRelease:
    """Released rows, and what was held back and why."""

    rows: list[dict[str, object]] = field(default_factory=list)
    k: int = 5
    generalisation: str = "region"
    grid_deg: float = 0.5
    suppressed_cells: int = 0
    suppressed_incidents: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "k": self.k, "generalisation": self.generalisation, "grid_deg": self.grid_deg,
            "released_incidents": len(self.rows),
            "released_cells": len({cell_key(row) for row in self.rows}),
            "suppressed_cells": self.suppressed_cells,
            "suppressed_incidents": self.suppressed_incidents,
        }  # fmt: skip


def cell_key(row: dict[str, object]) -> tuple[object, object, object]:
    """The (place, period, type) equivalence class of a released row."""
    return row["place"], row["week"], row["incident_type"]


def generalise_place(lat: float, lon: float, region_ubigeo: str, *, generalisation: str,
                     grid_deg: float) -> str:  # fmt: skip
    """A place label: ``ubigeo:13`` (department) or ``grid:0.5:-8.0:-78.0`` (cell's SW corner).

    >>> generalise_place(-7.735, -77.53, "13", generalisation="grid", grid_deg=0.5)
    'grid:0.5:-8.0:-78.0'
    """
    if generalisation == "region":
        return f"ubigeo:{region_ubigeo}" if region_ubigeo else "ubigeo:unknown"
    if generalisation != "grid":
        raise ValueError(f"generalisation {generalisation!r}: expected one of {GENERALISATIONS}")
    if not 0.05 <= grid_deg <= 5:
        raise ValueError(f"grid_deg {grid_deg}: expected 0.05..5 degrees")
    south = math.floor(lat / grid_deg) * grid_deg
    west = math.floor(lon / grid_deg) * grid_deg
    return f"grid:{grid_deg:g}:{round(south, 6):g}:{round(west, 6):g}"


def week_of(moment: dt.datetime) -> tuple[str, str]:
    """(ISO week label, its Monday) of a timezone-aware ``moment`` in UTC."""
    if moment.tzinfo is None:
        raise ValueError("occurred_at: a naive datetime; expected timezone-aware UTC")
    day = moment.astimezone(dt.UTC).date()
    year, week, _weekday = day.isocalendar()
    monday = day - dt.timedelta(days=day.weekday())
    return f"{year}-W{week:02d}", monday.isoformat()


def anonymise(incidents: Iterable[ResearchIncident], *, k: int, generalisation: str = "region",
              grid_deg: float = 0.5) -> ResearchRelease:  # fmt: skip
    """Generalise ``incidents`` and release only cells of at least ``k`` (k ≥ 2).

    Rows are sorted by week, place and type, so the order says nothing about the
    order of reporting.
    """
    if k < 2:
        raise ValueError(f"k {k}: expected at least 2 (k=1 is no anonymity)")
    rows: list[dict[str, object]] = []
    for incident in incidents:
        week, monday = week_of(incident.occurred_at)
        rows.append({
            "place": generalise_place(incident.lat, incident.lon, incident.region_ubigeo,
                                      generalisation=generalisation, grid_deg=grid_deg),
            "week": week, "week_start": monday, "threat": incident.threat,
            "incident_type": incident.incident_type, "severity": incident.severity,
            "fatalities": incident.fatalities, "injured": incident.injured,
            "kidnapped": incident.kidnapped,
        })  # fmt: skip
    sizes = Counter(cell_key(row) for row in rows)
    release = ResearchRelease(k=k, generalisation=generalisation, grid_deg=grid_deg)
    small = {key for key, size in sizes.items() if size < k}
    release.suppressed_cells = len(small)
    release.suppressed_incidents = sum(sizes[key] for key in small)
    kept = [row for row in rows if cell_key(row) not in small]
    release.rows = sorted(kept, key=lambda row: (str(row["week"]), str(row["place"]),
                                                 str(row["incident_type"])))  # fmt: skip
    return release


def smallest_cell(rows: Iterable[dict[str, object]]) -> int:
    """Size of the smallest released (place, period, type) cell; 0 when nothing is released."""
    sizes = Counter(cell_key(row) for row in rows)
    return min(sizes.values(), default=0)
