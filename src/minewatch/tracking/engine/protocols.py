"""Pure parsers for the position protocols MineWatch ingests.

Every parser returns :class:`Fix` objects (or raises :class:`ProtocolError`
naming the offending field). No network, no database: the ingest layer hands
in the query string, form body or JSON document it received.

Formats
-------
OsmAnd HTTP (:func:`parse_osmand_query`)
    What the Traccar Client app and many hardware trackers send as a GET query
    or a POST form: ``id``/``deviceid``, ``lat`` + ``lon`` or
    ``location=lat,lon``, ``timestamp`` (Unix seconds, Unix milliseconds,
    ISO 8601, or ``yyyy-MM-dd HH:mm:ss`` read as UTC), ``speed`` in **knots**,
    ``bearing``/``heading``, ``altitude``, ``accuracy``, ``hdop``, ``batt``,
    ``alarm``, ``valid``; any other key is kept as an attribute.
OsmAnd JSON (:func:`parse_osmand_json`)
    The body of recent Traccar Client versions (the background-geolocation
    ``location`` object, speed in **m/s**, ``-1`` meaning unknown).
Traccar forwarding and MQTT JSON live in :mod:`.forwarding`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson

KNOT_KMH = 1.852
MPS_KMH = 3.6
# Traccar reads a numeric timestamp below 2**31 - 1 as seconds, above as milliseconds.
_SECONDS_LIMIT = 2**31 - 1

__all__ = [
    "Fix",
    "ProtocolError",
    "parse_osmand_json",
    "parse_osmand_query",
    "parse_timestamp",
]


class ProtocolError(ValueError):
    """A message could not be turned into a fix; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Fix:
    """One position report, normalised to SI-ish units and UTC.

    ``speed_kmh``, ``course_deg``, ``altitude_m`` and ``accuracy_m`` are
    ``None`` when the sender did not report them. ``attributes`` keeps every
    other reported value (battery, ignition, alarm, hdop, ...).
    """

    device_key: str
    fix_time: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    course_deg: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fix_time.tzinfo is None:
            raise ValueError(f"fix_time {self.fix_time!r} is naive; give a UTC-aware datetime")


def parse_timestamp(value: Any, *, field_name: str = "timestamp") -> datetime:
    """Parse an OsmAnd/Traccar timestamp into an aware UTC datetime.

    Accepts Unix seconds, Unix milliseconds (Traccar's rule: a number above
    2**31 - 1 is milliseconds), ISO 8601 with ``T`` (a missing offset means
    UTC) and ``yyyy-MM-dd HH:mm:ss`` (read as UTC).

    Examples
    --------
    >>> parse_timestamp("1377177267").isoformat()
    '2013-08-22T13:14:27+00:00'
    >>> parse_timestamp(1442068686579).isoformat()
    '2015-09-12T14:38:06.579000+00:00'
    >>> parse_timestamp("2014-06-04 09:10:11").isoformat()
    '2014-06-04T09:10:11+00:00'
    """
    if isinstance(value, bool) or value is None:
        raise ProtocolError(field_name, f"missing or not a time: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value), field_name)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        return _from_epoch(number, field_name)
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError as error:
        raise ProtocolError(field_name, f"unparsable time {text!r}") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(number: float, field_name: str) -> datetime:
    if not math.isfinite(number) or number < 0:
        raise ProtocolError(field_name, f"not a valid epoch time: {number!r}")
    seconds = number if number < _SECONDS_LIMIT else number / 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise ProtocolError(field_name, f"epoch time out of range: {number!r}") from error


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool):
        raise ProtocolError(field_name, f"not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ProtocolError(field_name, f"not a number: {value!r}") from error
    if not math.isfinite(number):
        raise ProtocolError(field_name, f"not a finite number: {value!r}")
    return number


def _optional_number(
    value: Any, field_name: str, *, unknown_below: float | None = None
) -> float | None:
    if value is None or value == "":
        return None
    number = _number(value, field_name)
    if unknown_below is not None and number < unknown_below:
        return None
    return number


def _coordinates(lat: Any, lon: Any, lat_field: str, lon_field: str) -> tuple[float, float]:
    if lat is None or lat == "":
        raise ProtocolError(lat_field, "latitude is missing")
    if lon is None or lon == "":
        raise ProtocolError(lon_field, "longitude is missing")
    lat_deg, lon_deg = _number(lat, lat_field), _number(lon, lon_field)
    if not -90.0 <= lat_deg <= 90.0:
        raise ProtocolError(lat_field, f"latitude {lat_deg} deg is outside -90..90")
    if not -180.0 <= lon_deg <= 180.0:
        raise ProtocolError(lon_field, f"longitude {lon_deg} deg is outside -180..180")
    return lat_deg, lon_deg


def _attribute_value(text: str) -> Any:
    """Type an unknown OsmAnd parameter the way Traccar does: number, boolean or text."""
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and math.isfinite(number):
        return number
    if text in ("true", "false"):
        return text == "true"
    return text


def _query_params(params: str | bytes | Mapping[str, Any]) -> dict[str, list[str]]:
    if isinstance(params, bytes):
        params = params.decode("utf-8", errors="replace")
    if isinstance(params, str):
        return parse_qs(params.lstrip("?"), keep_blank_values=True)
    result: dict[str, list[str]] = {}
    for key, value in params.items():
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            result[key] = [value.decode() if isinstance(value, bytes) else str(value)]
        else:
            result[key] = [str(item) for item in value]
    return result


def parse_osmand_query(
    params: str | bytes | Mapping[str, Any], *, received_at: datetime | None = None
) -> Fix:
    """Parse one OsmAnd GET query or POST form into a :class:`Fix`.

    Parameters
    ----------
    params
        The raw query string / form body (``"id=1&lat=..."``, a leading ``?``
        is ignored) or an already decoded mapping of name to value(s).
    received_at
        Used as the fix time when the sender gave no ``timestamp`` (as Traccar
        does); without it a missing timestamp is an error.

    Raises
    ------
    ProtocolError
        ``field`` is ``"id"``, ``"lat"``, ``"lon"``, ``"location"``,
        ``"timestamp"`` or the numeric parameter that did not parse.

    Examples
    --------
    >>> fix = parse_osmand_query("id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=10")
    >>> fix.device_key, round(fix.speed_kmh, 2), fix.fix_time.year
    ('123456', 18.52, 2013)
    """
    values = _query_params(params)
    single = {key: items[-1] for key, items in values.items() if items}
    device = single.get("id") or single.get("deviceid")
    if not device:
        raise ProtocolError("id", "device identifier (id or deviceid) is missing")
    if "location" in single and "lat" not in single:
        parts = single["location"].split(",")
        if len(parts) != 2:
            raise ProtocolError("location", f"expected 'lat,lon', got {single['location']!r}")
        lat, lon = _coordinates(parts[0], parts[1], "location", "location")
    else:
        lat, lon = _coordinates(single.get("lat"), single.get("lon"), "lat", "lon")
    if single.get("timestamp"):
        fix_time = parse_timestamp(single["timestamp"])
    elif received_at is not None:
        fix_time = _aware(received_at, "received_at")
    else:
        raise ProtocolError("timestamp", "timestamp is missing and no received_at was given")
    speed_knots = _optional_number(single.get("speed"), "speed")
    course = single.get("bearing", single.get("heading"))
    return Fix(
        device_key=device,
        fix_time=fix_time,
        lat=lat,
        lon=lon,
        speed_kmh=None if speed_knots is None else speed_knots * KNOT_KMH,
        course_deg=_optional_number(course, "bearing" if "bearing" in single else "heading"),
        altitude_m=_optional_number(single.get("altitude"), "altitude"),
        accuracy_m=_optional_number(single.get("accuracy"), "accuracy"),
        attributes=_osmand_attributes(values),
    )


_OSMAND_CORE = {"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing"}
_OSMAND_CORE |= {"heading", "altitude", "accuracy"}


def _osmand_attributes(values: dict[str, list[str]]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, items in values.items():
        if key in _OSMAND_CORE or not items:
            continue
        if key == "hdop":
            attributes["hdop"] = _number(items[-1], "hdop")
        elif key == "batt":
            attributes["battery_level"] = _number(items[-1], "batt")
        elif key == "valid":
            attributes["valid"] = items[-1].lower() in ("true", "1")
        elif key in ("alarm", "driverUniqueId"):
            attributes[key] = items[-1]
        elif len(items) > 1:  # cell=..., wifi=... repeat
            attributes[key] = list(items)
        else:
            attributes[key] = _attribute_value(items[-1])
    return attributes


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} {value!r} is naive; give a UTC-aware datetime")
    return value.astimezone(UTC)


def _load_json(body: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        # orjson: ~5x faster than json on position messages (the MQTT hot path); it also
        # refuses NaN/Infinity, which are not JSON.
        document = orjson.loads(body)
    except (TypeError, ValueError) as error:
        raise ProtocolError("body", f"not valid JSON: {error}") from error
    if not isinstance(document, Mapping):
        raise ProtocolError("body", "expected a JSON object")
    return document


def parse_osmand_json(body: str | bytes | Mapping[str, Any]) -> list[Fix]:
    """Parse the JSON body recent Traccar Client versions POST.

    The document is ``{"location": {...}, "device_id": "..."}`` where
    ``location`` holds ``timestamp`` (ISO 8601), ``coords`` (``latitude``,
    ``longitude``, ``speed`` in m/s, ``heading``, ``altitude``, ``accuracy``;
    ``-1`` means unknown), ``battery`` (``level`` 0..1, ``is_charging``),
    ``is_moving``, ``event``, ``activity``, ``odometer`` and ``extras``.
    ``location`` may also be a list (batched upload); one fix per element.

    Examples
    --------
    >>> body = ('{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":'
    ...         '{"latitude":-14.08,"longitude":-72.32,"speed":10,"heading":-1},'
    ...         '"battery":{"level":0.79}},"device_id":"48241179"}')
    >>> fix = parse_osmand_json(body)[0]
    >>> fix.speed_kmh, fix.course_deg, fix.attributes["battery_level"]
    (36.0, None, 79.0)
    """
    document = _load_json(body)
    device = document.get("device_id")
    if device in (None, ""):
        raise ProtocolError("device_id", "device identifier is missing")
    locations = document.get("location")
    if isinstance(locations, Mapping):
        locations = [locations]
    if not isinstance(locations, list) or not locations:
        raise ProtocolError("location", "location object is missing")
    return [_osmand_json_location(str(device), location) for location in locations]


def _osmand_json_location(device: str, location: Any) -> Fix:
    if not isinstance(location, Mapping):
        raise ProtocolError("location", "expected a JSON object")
    coords = location.get("coords")
    if not isinstance(coords, Mapping):
        raise ProtocolError("location.coords", "coords object is missing")
    lat, lon = _coordinates(
        coords.get("latitude"), coords.get("longitude"), "coords.latitude", "coords.longitude"
    )
    speed_mps = _optional_number(coords.get("speed"), "coords.speed", unknown_below=0)
    attributes: dict[str, Any] = {}
    battery = location.get("battery")
    if isinstance(battery, Mapping):
        level = _optional_number(battery.get("level"), "battery.level", unknown_below=0)
        if level is not None:
            attributes["battery_level"] = round(level * 100.0, 3)
        if "is_charging" in battery:
            attributes["charge"] = bool(battery["is_charging"])
    for source, target in (("is_moving", "motion"), ("event", "event"), ("odometer", "odometer")):
        if location.get(source) is not None:
            attributes[target] = location[source]
    activity = location.get("activity")
    if isinstance(activity, Mapping) and "type" in activity:
        attributes["activity"] = activity["type"]
    if location.get("mock"):
        attributes["mock"] = True
    extras = location.get("extras")
    if isinstance(extras, Mapping):
        attributes.update(extras)
    return Fix(
        device_key=device,
        fix_time=parse_timestamp(location.get("timestamp"), field_name="location.timestamp"),
        lat=lat,
        lon=lon,
        speed_kmh=None if speed_mps is None else speed_mps * MPS_KMH,
        course_deg=_optional_number(coords.get("heading"), "coords.heading", unknown_below=0),
        altitude_m=_optional_number(coords.get("altitude"), "coords.altitude"),
        accuracy_m=_optional_number(coords.get("accuracy"), "coords.accuracy", unknown_below=0),
        attributes=attributes,
    )
