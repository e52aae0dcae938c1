"""Parsers for JSON that other servers forward: Traccar forwarding and MineWatch MQTT.

Both return :class:`~minewatch.tracking.engine.protocols.Fix` and raise
:class:`~minewatch.tracking.engine.protocols.ProtocolError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minewatch.tracking.engine.protocols import (
    KNOT_KMH,
    Fix,
    ProtocolError,
    _coordinates,
    _load_json,
    _optional_number,
    parse_timestamp,
)

__all__ = ["parse_mqtt_position", "parse_traccar_forward"]


def parse_traccar_forward(body: str | bytes | Mapping[str, Any]) -> Fix:
    """Parse a Traccar server's position- or event-forwarding JSON.

    Position forwarding posts ``{"position": {...}, "device": {...}}``;
    event forwarding adds ``"event": {"type": ..., "eventTime": ...,
    "attributes": {"alarm": ...}}``. The device key is ``device.uniqueId``
    (falling back to ``position.deviceId``); ``position.speed`` is in knots.
    An event's type and alarm are copied into the fix attributes
    (``event``, ``alarm``).

    Examples
    --------
    >>> fix = parse_traccar_forward({
    ...     "position": {"deviceId": 7, "fixTime": "2024-05-01T12:00:00.000+00:00",
    ...                  "latitude": -16.4, "longitude": -71.5, "speed": 10.0},
    ...     "device": {"id": 7, "uniqueId": "TRK-7", "name": "Truck 7"}})
    >>> fix.device_key, fix.speed_kmh
    ('TRK-7', 18.52)
    """
    document = _load_json(body)
    position = document.get("position")
    event = document.get("event") if isinstance(document.get("event"), Mapping) else None
    if not isinstance(position, Mapping):
        kind = event.get("type") if event else None
        raise ProtocolError("position", f"no position in the payload (event {kind!r})")
    device = document.get("device") if isinstance(document.get("device"), Mapping) else {}
    key = device.get("uniqueId") or position.get("deviceId")
    if key in (None, ""):
        raise ProtocolError("device.uniqueId", "device identifier is missing")
    lat, lon = _coordinates(
        position.get("latitude"), position.get("longitude"), "position.latitude",
        "position.longitude",
    )  # fmt: skip
    time_value = position.get("fixTime") or position.get("deviceTime")
    speed_knots = _optional_number(position.get("speed"), "position.speed")
    attributes = dict(position.get("attributes") or {})
    if "valid" in position:
        attributes["valid"] = bool(position["valid"])
    if device.get("name"):
        attributes["device_name"] = device["name"]
    if event is not None:
        attributes["event"] = event.get("type")
        alarm = (event.get("attributes") or {}).get("alarm")
        if alarm:
            attributes["alarm"] = alarm
    return Fix(
        device_key=str(key),
        fix_time=parse_timestamp(time_value, field_name="position.fixTime"),
        lat=lat,
        lon=lon,
        speed_kmh=None if speed_knots is None else speed_knots * KNOT_KMH,
        course_deg=_optional_number(position.get("course"), "position.course"),
        altitude_m=_optional_number(position.get("altitude"), "position.altitude"),
        accuracy_m=_optional_number(position.get("accuracy"), "position.accuracy"),
        attributes=attributes,
    )


_MQTT_CORE = {"device", "time", "lat", "lon", "speed_kmh", "course_deg", "altitude_m"}
_MQTT_CORE |= {"accuracy_m", "attributes"}


def parse_mqtt_position(body: str | bytes | Mapping[str, Any]) -> Fix:
    """Parse MineWatch's MQTT JSON position message.

    The message is one JSON object::

        {"device": "TRK-7",             # required, the tracker's unique id
         "time": "2025-03-01T10:00:00Z", # required: ISO 8601, or Unix s / ms
         "lat": -14.08, "lon": -72.32,   # required, WGS 84 degrees
         "speed_kmh": 42.0,              # optional, km/h
         "course_deg": 180.0, "altitude_m": 3900.0, "accuracy_m": 8.0,
         "alarm": "sos",                 # optional; any other key is an attribute
         "attributes": {"ignition": true}}

    Examples
    --------
    >>> fix = parse_mqtt_position('{"device":"T1","time":1700000000,"lat":-15,"lon":-71.9}')
    >>> fix.device_key, fix.fix_time.isoformat()
    ('T1', '2023-11-14T22:13:20+00:00')
    """
    document = _load_json(body)
    device = document.get("device")
    if device in (None, ""):
        raise ProtocolError("device", "device identifier is missing")
    lat, lon = _coordinates(document.get("lat"), document.get("lon"), "lat", "lon")
    attributes = dict(document.get("attributes") or {})
    attributes.update({k: v for k, v in document.items() if k not in _MQTT_CORE})
    return Fix(
        device_key=str(device),
        fix_time=parse_timestamp(document.get("time"), field_name="time"),
        lat=lat,
        lon=lon,
        speed_kmh=_optional_number(document.get("speed_kmh"), "speed_kmh"),
        course_deg=_optional_number(document.get("course_deg"), "course_deg"),
        altitude_m=_optional_number(document.get("altitude_m"), "altitude_m"),
        accuracy_m=_optional_number(document.get("accuracy_m"), "accuracy_m"),
        attributes=attributes,
    )
