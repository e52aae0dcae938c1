"""Rules about one intelligence record's values. Each failure names its field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from minewatch.core.errors import InvalidInput
from minewatch.geo.engine import geometry as geom
from minewatch.intel.choices import ActorKind, ActorRelation
from minewatch.intel.engine.grading import CREDIBILITY_BY_CODE, RELIABILITY_BY_CODE


def check_grade(reliability: Any, credibility: Any) -> tuple[str, str]:
    """Return the Admiralty grade as ('A'..'F', '1'..'6') or raise naming the field at fault."""
    rel = str(reliability or "").strip().upper()
    if rel not in RELIABILITY_BY_CODE:
        raise InvalidInput(
            f"{reliability!r} is not a source reliability grade (A–F)", field="source_reliability"
        )
    cred = str(credibility if credibility is not None else "").strip()
    if cred not in CREDIBILITY_BY_CODE:
        raise InvalidInput(
            f"{credibility!r} is not an information credibility grade (1–6)",
            field="information_credibility",
        )
    return rel, cred


def check_location(geometry: Any, lat: Any, lon: Any) -> tuple[dict[str, Any], Any, float, float]:
    """(GeoJSON, shape, lat, lon) of a report located by a point/area geometry or by lat/lon."""
    if geometry in (None, "", {}):
        if lat in (None, "") or lon in (None, ""):
            raise InvalidInput("give a point or area geometry, or lat and lon", field="geometry")
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    kind = "point" if isinstance(geometry, dict) and geometry.get("type") == "Point" else "area"
    try:
        shape = geom.parse_geometry(geometry, kind)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="geometry") from None
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    if not (geom.is_in_peru_bbox(min_lat, min_lon) and geom.is_in_peru_bbox(max_lat, max_lon)):
        raise InvalidInput("geometry lies outside Peru's bounding box", field="geometry")
    point = shape if kind == "point" else shape.representative_point()
    return geom.to_geojson(shape), shape, float(point.y), float(point.x)


def check_area(geometry: Any) -> tuple[dict[str, Any] | None, Any]:
    """An actor's optional area of operation: a valid polygon inside Peru, or None."""
    if geometry in (None, "", {}):
        return None, None
    try:
        shape = geom.parse_geometry(geometry, "area")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="geometry") from None
    return geom.to_geojson(shape), shape


def check_report_times(values: dict[str, Any], now: dt.datetime, skew_s: int) -> None:
    """observed_at required and not in the future; reported_at after it; valid_until after both."""
    observed = values.get("observed_at")
    if not isinstance(observed, dt.datetime):
        raise InvalidInput("a date and time is required", field="observed_at")
    for name in ("observed_at", "reported_at", "valid_until"):
        value = values.get(name)
        if value is not None and value.tzinfo is None:
            raise InvalidInput("a time zone is required (e.g. 2026-03-01T14:30:00-05:00)",
                               field=name)  # fmt: skip
    if observed > now + dt.timedelta(seconds=skew_s):
        raise InvalidInput("is in the future", field="observed_at")
    if values["reported_at"] < observed:
        raise InvalidInput("cannot be earlier than observed_at", field="reported_at")
    if values.get("valid_until") is not None and values["valid_until"] <= observed:
        raise InvalidInput("must be later than observed_at", field="valid_until")


def check_actor_values(kind: Any, aliases: Any) -> list[str]:
    if kind not in ActorKind.values:
        raise InvalidInput(f"unknown actor kind {kind!r}; one of {ActorKind.values}", field="kind")
    if aliases in (None, ""):
        return []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InvalidInput("aliases must be a list of names", field="aliases")
    return [a.strip() for a in aliases if a.strip()]


def check_link_values(relation: Any, confidence: Any) -> float:
    if relation not in ActorRelation.values:
        raise InvalidInput(
            f"unknown relation {relation!r}; one of {ActorRelation.values}", field="relation"
        )
    try:
        value = float(confidence)
    except (TypeError, ValueError):
        raise InvalidInput(f"{confidence!r} is not a number", field="confidence") from None
    if not 0.0 <= value <= 1.0:
        raise InvalidInput("confidence must be between 0 and 1", field="confidence")
    return value
