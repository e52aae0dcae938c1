"""Protocol parsers against the messages real senders produce, and bad input naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from minewatch.tracking.engine import (
    REJECT_REASONS,
    Fix,
    ProtocolError,
    parse_mqtt_position,
    parse_osmand_json,
    parse_osmand_query,
    parse_traccar_forward,
    validate_arrays,
    validate_fix,
)

# What Traccar Client for Android (v8, query mode) sends: speed in knots, batt in %.
TRACCAR_CLIENT_QUERY = (
    "id=862345041234567&timestamp=1740816000&lat=-14.0801&lon=-72.3212&speed=21.6"
    "&bearing=184.5&altitude=3921.0&accuracy=9.6&batt=83.0&charge=true"
)
# Recent Traccar Client (v9) POSTs the background-geolocation location as JSON.
TRACCAR_CLIENT_JSON = {
    "location": {
        "event": "motionchange",
        "is_moving": True,
        "uuid": "6c1f8e0a-2b4d-4a51-9f00-3b2f5d1e7a10",
        "timestamp": "2025-03-01T08:00:05.250Z",
        "odometer": 15230.4,
        "coords": {
            "latitude": -14.0801,
            "longitude": -72.3212,
            "accuracy": 6.2,
            "speed": 12.5,
            "speed_accuracy": 0.4,
            "heading": 184.5,
            "heading_accuracy": 2.1,
            "altitude": 3921.4,
            "altitude_accuracy": 3.0,
        },
        "activity": {"type": "in_vehicle", "confidence": 100},
        "battery": {"is_charging": False, "level": 0.83},
        "extras": {"plate": "V2X-901"},
    },
    "device_id": "862345041234567",
}
# A Traccar server's position forwarding (speed in knots, Traccar's date format).
TRACCAR_POSITION_FORWARD = {
    "position": {
        "id": 88121,
        "attributes": {"batteryLevel": 91.0, "ignition": True, "motion": True},
        "deviceId": 17,
        "protocol": "teltonika",
        "serverTime": "2025-03-01T08:00:07.000+00:00",
        "deviceTime": "2025-03-01T08:00:05.000+00:00",
        "fixTime": "2025-03-01T08:00:05.000+00:00",
        "outdated": False,
        "valid": True,
        "latitude": -16.4090,
        "longitude": -71.5375,
        "altitude": 2335.0,
        "speed": 27.0,
        "course": 212.0,
        "address": None,
        "accuracy": 0.0,
        "network": None,
    },
    "device": {
        "id": 17,
        "attributes": {},
        "groupId": 2,
        "name": "Camión V2X-901",
        "uniqueId": "357544376624201",
        "status": "online",
        "disabled": False,
    },  # fmt: skip
}


def test_traccar_client_query_gives_fix_with_speed_converted_from_knots():
    fix = parse_osmand_query(TRACCAR_CLIENT_QUERY)
    assert fix.device_key == "862345041234567"
    assert fix.fix_time == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert (fix.lat, fix.lon) == (-14.0801, -72.3212)
    assert fix.speed_kmh == pytest.approx(21.6 * 1.852)
    assert (fix.course_deg, fix.altitude_m, fix.accuracy_m) == (184.5, 3921.0, 9.6)
    assert fix.attributes == {"battery_level": 83.0, "charge": True}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("id=1&lat=1&lon=2&timestamp=1740816000", datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
        ("id=1&lat=1&lon=2&timestamp=1740816000250",
         datetime(2025, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)),
        ("id=1&lat=1&lon=2&timestamp=2025-03-01T08%3A00%3A00Z",
         datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
        ("id=1&lat=1&lon=2&timestamp=2025-03-01T03%3A00%3A00-05%3A00",
         datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
        ("id=1&lat=1&lon=2&timestamp=2025-03-01+08%3A00%3A00",
         datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_osmand_timestamp_forms_all_parse_to_utc(query, expected):
    assert parse_osmand_query(query).fix_time == expected


def test_osmand_location_parameter_and_deviceid_alias_are_understood():
    fix = parse_osmand_query("deviceid=A7&timestamp=1740816000&location=-15.5,-71.9&heading=90")
    assert (fix.device_key, fix.lat, fix.lon, fix.course_deg) == ("A7", -15.5, -71.9, 90.0)


def test_osmand_form_body_with_alarm_hdop_and_unknown_keys_keeps_them_as_attributes():
    body = b"id=T9&lat=-16.0&lon=-72.0&timestamp=1740816000&hdop=1.2&alarm=sos&valid=1&rpm=933&driver=ana"
    fix = parse_osmand_query(body)
    assert fix.attributes == {"hdop": 1.2, "alarm": "sos", "valid": True, "rpm": 933.0,
                              "driver": "ana"}  # fmt: skip


def test_osmand_mapping_input_and_missing_timestamp_uses_received_at():
    received = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    fix = parse_osmand_query({"id": "T1", "lat": "-14", "lon": "-72"}, received_at=received)
    assert fix.fix_time == received


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lat=-14&lon=-72&timestamp=1740816000", "id"),
        ("id=1&lon=-72&timestamp=1740816000", "lat"),
        ("id=1&lat=-14&timestamp=1740816000", "lon"),
        ("id=1&lat=-94&lon=-72&timestamp=1740816000", "lat"),
        ("id=1&lat=-14&lon=-190&timestamp=1740816000", "lon"),
        ("id=1&lat=abc&lon=-72&timestamp=1740816000", "lat"),
        ("id=1&location=-14&timestamp=1740816000", "location"),
        ("id=1&lat=-14&lon=-72&timestamp=yesterday", "timestamp"),
        ("id=1&lat=-14&lon=-72", "timestamp"),
        ("id=1&lat=-14&lon=-72&timestamp=1740816000&speed=fast", "speed"),
    ],
)
def test_bad_osmand_query_raises_protocol_error_naming_the_field(query, field):
    with pytest.raises(ProtocolError) as error:
        parse_osmand_query(query)
    assert error.value.field == field
    assert isinstance(error.value, ValueError)


def test_traccar_client_json_body_gives_fix_with_speed_from_metres_per_second():
    (fix,) = parse_osmand_json(json.dumps(TRACCAR_CLIENT_JSON))
    assert fix.device_key == "862345041234567"
    assert fix.fix_time == datetime(2025, 3, 1, 8, 0, 5, 250000, tzinfo=UTC)
    assert fix.speed_kmh == pytest.approx(45.0)
    assert (fix.course_deg, fix.altitude_m, fix.accuracy_m) == (184.5, 3921.4, 6.2)
    assert fix.attributes["battery_level"] == pytest.approx(83.0)
    assert fix.attributes["motion"] is True
    assert fix.attributes["event"] == "motionchange"
    assert fix.attributes["plate"] == "V2X-901"


def test_traccar_client_json_minus_one_means_unknown_speed_heading_and_battery():
    body = json.loads(json.dumps(TRACCAR_CLIENT_JSON))
    body["location"]["coords"].update(speed=-1, heading=-1)
    body["location"]["battery"]["level"] = -1
    (fix,) = parse_osmand_json(body)
    assert (fix.speed_kmh, fix.course_deg) == (None, None)
    assert "battery_level" not in fix.attributes


def test_traccar_client_json_batch_of_locations_gives_one_fix_each():
    body = json.loads(json.dumps(TRACCAR_CLIENT_JSON))
    second = json.loads(json.dumps(body["location"]))
    second["timestamp"] = "2025-03-01T08:00:15.250Z"
    body["location"] = [body["location"], second]
    assert [f.fix_time.second for f in parse_osmand_json(body)] == [5, 15]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("device_id"), "device_id"),
        (lambda b: b["location"].pop("coords"), "location.coords"),
        (lambda b: b["location"]["coords"].pop("latitude"), "coords.latitude"),
        (lambda b: b["location"].update(timestamp="soon"), "location.timestamp"),
        (lambda b: b.pop("location"), "location"),
    ],
)
def test_bad_osmand_json_names_the_field(mutate, field):
    body = json.loads(json.dumps(TRACCAR_CLIENT_JSON))
    mutate(body)
    with pytest.raises(ProtocolError) as error:
        parse_osmand_json(body)
    assert error.value.field == field


def test_osmand_json_that_is_not_json_names_the_body():
    with pytest.raises(ProtocolError) as error:
        parse_osmand_json(b"{not json")
    assert error.value.field == "body"


def test_traccar_position_forward_uses_unique_id_and_knots():
    fix = parse_traccar_forward(json.dumps(TRACCAR_POSITION_FORWARD))
    assert fix.device_key == "357544376624201"
    assert fix.fix_time == datetime(2025, 3, 1, 8, 0, 5, tzinfo=UTC)
    assert fix.speed_kmh == pytest.approx(50.004)
    assert fix.course_deg == 212.0
    assert fix.attributes["ignition"] is True
    assert fix.attributes["device_name"] == "Camión V2X-901"


def test_traccar_event_forward_copies_alarm_into_attributes():
    payload = dict(TRACCAR_POSITION_FORWARD)
    payload["event"] = {"id": 5501, "attributes": {"alarm": "sos"}, "deviceId": 17,
                        "type": "alarm", "eventTime": "2025-03-01T08:00:07.000+00:00",
                        "positionId": 88121, "geofenceId": 0, "maintenanceId": 0}  # fmt: skip
    fix = parse_traccar_forward(payload)
    assert (fix.attributes["event"], fix.attributes["alarm"]) == ("alarm", "sos")


def test_traccar_event_without_position_names_position():
    payload = {"event": {"type": "deviceOffline", "deviceId": 17}, "device": {"uniqueId": "x"}}
    with pytest.raises(ProtocolError) as error:
        parse_traccar_forward(payload)
    assert error.value.field == "position"


def test_mqtt_position_message_parses_epoch_ms_and_extra_keys():
    message = {"device": "ESC-2", "time": 1740816000000, "lat": -17.0, "lon": -72.1,
               "speed_kmh": 61.5, "alarm": "sos", "attributes": {"ignition": True}}  # fmt: skip
    fix = parse_mqtt_position(json.dumps(message).encode())
    assert fix.fix_time == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert fix.speed_kmh == 61.5
    assert fix.attributes == {"ignition": True, "alarm": "sos"}


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"time": 1740816000, "lat": -17.0, "lon": -72.1}, "device"),
        ({"device": "A", "lat": -17.0, "lon": -72.1}, "time"),
        ({"device": "A", "time": 1740816000, "lat": -17.0, "lon": 200}, "lon"),
    ],
)
def test_bad_mqtt_message_names_the_field(message, field):
    with pytest.raises(ProtocolError) as error:
        parse_mqtt_position(message)
    assert error.value.field == field


NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fix", "reason"),
    [
        (Fix("a", NOW, -14.0, -72.0, speed_kmh=60.0), None),
        (Fix("a", NOW, 91.0, -72.0), "lat_out_of_range"),
        (Fix("a", NOW, -14.0, 181.0), "lon_out_of_range"),
        (Fix("a", NOW, 0.0, 0.0), "null_island"),
        (Fix("a", NOW, -14.0, -72.0, speed_kmh=301.0), "speed_too_high"),
        (Fix("a", NOW.replace(minute=6), -14.0, -72.0), "time_in_future"),
        (Fix("a", NOW.replace(minute=4), -14.0, -72.0), None),
    ],
)
def test_validate_fix_returns_reason_code(fix, reason):
    assert validate_fix(fix, now=NOW, max_future_skew_s=300.0) == reason


def test_validate_arrays_matches_validate_fix_reason_by_reason():
    lat = np.array([-14.0, 91.0, -14.0, 0.0, -14.0, -14.0])
    lon = np.array([-72.0, -72.0, 181.0, 0.0, -72.0, -72.0])
    speed = np.array([60.0, 1.0, 1.0, np.nan, 301.0, np.nan])
    now_ms = 1_740_816_000_000
    time_ms = np.array([now_ms] * 5 + [now_ms + 360_000])
    codes = validate_arrays(lat, lon, speed, time_ms, now_ms=now_ms)
    reasons = [REJECT_REASONS[c - 1] if c else None for c in codes]
    assert reasons == [None, "lat_out_of_range", "lon_out_of_range", "null_island",
                       "speed_too_high", "time_in_future"]  # fmt: skip


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        Fix("a", datetime(2025, 3, 1), -14.0, -72.0)  # noqa: DTZ001
