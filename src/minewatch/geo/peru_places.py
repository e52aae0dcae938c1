"""Public locations of Peru's large mines, ports and towns on the mining corridors. Pure data.

Coordinates are approximate public locations (decimal degrees, WGS84) of the
operations as shown on public maps and company reports; they are good to a few
kilometres, which is what a regional security picture needs. The road
alignments are approximations through real towns on the route (labelled so).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    key: str
    name: str
    lat: float
    lon: float
    kind: str  # a geo.SiteKind value, or "town"
    note: str = ""


MINES: tuple[Place, ...] = (
    Place("antamina", "Antamina", -9.537, -77.050, "mine", "Áncash, San Marcos; copper-zinc"),
    Place("las_bambas", "Las Bambas", -14.068, -72.318, "mine", "Apurímac, Challhuahuacho; copper"),
    Place("cerro_verde", "Cerro Verde", -16.535, -71.597, "mine", "Arequipa, Uchumayo; copper"),
    Place("toquepala", "Toquepala", -17.245, -70.610, "mine", "Tacna, Ilabaya; copper"),
    Place("cuajone", "Cuajone", -17.040, -70.703, "mine", "Moquegua, Torata; copper"),
    Place("quellaveco", "Quellaveco", -17.095, -70.615, "mine", "Moquegua; copper"),
    Place("yanacocha", "Yanacocha", -6.985, -78.520, "mine", "Cajamarca; gold"),
    Place("antapaccay", "Antapaccay", -14.960, -71.350, "mine", "Cusco, Espinar; copper"),
    Place("constancia", "Constancia", -14.455, -71.775, "mine", "Cusco, Chumbivilcas; copper"),
    Place("poderosa", "La Poderosa (Pataz)", -7.735, -77.530, "mine", "La Libertad, Pataz; gold"),
)

PORTS: tuple[Place, ...] = (
    Place("matarani", "Puerto de Matarani", -17.000, -72.105, "port", "Arequipa, Islay"),
)

# The southern mining corridor as driven by concentrate trucks: Las Bambas →
# Challhuahuacho → Velille → Espinar (Yauri) → Condoroma → Imata → Yura →
# Arequipa → La Joya → Matarani. Waypoints are real towns; the line between
# them is an approximation (synthetic alignment).
SOUTHERN_CORRIDOR: tuple[Place, ...] = (
    Place("las_bambas", "Las Bambas", -14.068, -72.318, "town"),
    Place("challhuahuacho", "Challhuahuacho", -14.118, -72.247, "town"),
    Place("ccapacmarca", "Ccapacmarca", -14.006, -72.003, "town"),
    Place("velille", "Velille", -14.510, -71.887, "town"),
    Place("yauri", "Espinar (Yauri)", -14.793, -71.413, "town"),
    Place("condoroma", "Condoroma", -15.300, -71.270, "town"),
    Place("imata", "Imata", -15.838, -71.088, "town"),
    Place("yura", "Yura", -16.252, -71.680, "town"),
    Place("arequipa", "Arequipa", -16.399, -71.537, "town"),
    Place("la_joya", "La Joya", -16.423, -71.818, "town"),
    Place("matarani", "Matarani", -17.000, -72.105, "town"),
)

PATAZ_TOWNS: tuple[Place, ...] = (
    Place("pataz", "Pataz", -7.780, -77.595, "town"),
    Place("vijus", "Vijus", -7.710, -77.555, "town"),
    Place("tayabamba", "Tayabamba", -8.277, -77.297, "town"),
    Place("parcoy", "Parcoy", -8.033, -77.480, "town"),
)


def densify(waypoints: tuple[Place, ...], step_deg: float = 0.003) -> list[tuple[float, float]]:
    """(lon, lat) vertices every ``step_deg`` degrees (~330 m) along the waypoints.

    >>> len(densify(SOUTHERN_CORRIDOR)) > 1000
    True
    """
    if step_deg <= 0:
        raise ValueError(f"step_deg must be positive, got {step_deg} degrees")
    points: list[tuple[float, float]] = []
    for a, b in zip(waypoints, waypoints[1:], strict=False):
        span = max(abs(b.lat - a.lat), abs(b.lon - a.lon))
        steps = max(1, int(span / step_deg))
        for i in range(steps):
            t = i / steps
            points.append(
                (round(a.lon + (b.lon - a.lon) * t, 6), round(a.lat + (b.lat - a.lat) * t, 6))
            )
    last = waypoints[-1]
    points.append((last.lon, last.lat))
    return points
