"""Frigate ``frigate/events`` messages to intrusion decisions."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, time
from typing import Any

import pytest

from minewatch.alarms.engine.frigate import (
    CameraIntrusionRule,
    FrigateIntrusionDetector,
    FrigateMessageError,
    decide_intrusion,
    is_within_daily_window,
    parse_frigate_event,
)

# 2024-06-01 07:30 UTC = 02:30 in Lima (UTC-5): night.
NIGHT_EPOCH = datetime(2024, 6, 1, 7, 30, tzinfo=UTC).timestamp()
# 2024-06-01 17:00 UTC = 12:00 in Lima: midday.
DAY_EPOCH = datetime(2024, 6, 1, 17, 0, tzinfo=UTC).timestamp()

NIGHT_RULE = CameraIntrusionRule(
    camera="porton_norte",
    zones=frozenset({"cerco_perimetrico"}),
    labels=frozenset({"person", "car"}),
    min_score=0.7,
    window_start=time(18, 0),
    window_end=time(6, 0),
)


def make_message(
    event_type: str = "update", epoch: float = NIGHT_EPOCH, **after_overrides: Any
) -> dict[str, Any]:
    """A message shaped like Frigate's documented ``frigate/events`` payload."""
    after = {
        "id": f"{epoch:.6f}-mxklsc",
        "camera": "porton_norte",
        "frame_time": epoch + 6.3,
        "snapshot": {"frame_time": epoch + 4.1, "box": [415, 489, 528, 700], "score": 0.77},
        "label": "person",
        "sub_label": None,
        "top_score": 0.958984375,
        "false_positive": False,
        "start_time": epoch,
        "end_time": None,
        "score": 0.87890625,
        "box": [432, 496, 544, 854],
        "area": 40096,
        "region": [218, 440, 693, 915],
        "current_zones": ["cerco_perimetrico"],
        "entered_zones": ["camino", "cerco_perimetrico"],
        "thumbnail": None,
        "has_snapshot": True,
        "has_clip": False,
        "stationary": False,
        "motionless_count": 0,
        "position_changes": 2,
    }
    after.update(after_overrides)
    before = copy.deepcopy(after)
    before["entered_zones"] = ["camino"]
    before["current_zones"] = ["camino"]
    return {"type": event_type, "before": before, "after": after}


def test_documented_message_parses_into_observation() -> None:
    observation = parse_frigate_event(json.dumps(make_message()).encode())
    assert observation.camera == "porton_norte"
    assert observation.label == "person"
    assert observation.newly_entered_zones == ("cerco_perimetrico",)
    assert observation.start_time_utc == datetime(2024, 6, 1, 7, 30, tzinfo=UTC)
    assert observation.has_snapshot and not observation.is_false_positive


@pytest.mark.parametrize("sub_label", [None, "Juan", ["Juan", 0.91]])
def test_sub_label_in_old_and_new_frigate_formats(sub_label: Any) -> None:
    observation = parse_frigate_event(make_message(sub_label=sub_label))
    assert observation.sub_label == (None if sub_label is None else "Juan")


@pytest.mark.parametrize(
    ("mutate", "field_name"),
    [
        (lambda m: m["after"].pop("camera"), "after.camera"),
        (lambda m: m["after"].pop("id"), "after.id"),
        (lambda m: m["after"].pop("label"), "after.label"),
        (lambda m: m["after"].pop("entered_zones"), "after.entered_zones"),
        (lambda m: m["after"].pop("start_time"), "after.start_time"),
        (lambda m: (m["after"].pop("score"), m["after"].pop("top_score")), "after.score"),
        (lambda m: m.pop("after"), "after"),
        (lambda m: m.pop("type"), "type"),
        (lambda m: m["after"].update(entered_zones="cerco"), "after.entered_zones"),
        (lambda m: m["after"].update(score="high"), "after.score"),
    ],
)
def test_message_with_missing_or_bad_field_names_the_field(mutate: Any, field_name: str) -> None:
    message = make_message()
    mutate(message)
    with pytest.raises(FrigateMessageError, match=field_name):
        parse_frigate_event(json.dumps(message))


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"type": "bogus", "after": {}}'])
def test_non_event_payload_is_refused(payload: bytes) -> None:
    with pytest.raises(FrigateMessageError):
        parse_frigate_event(payload)


@pytest.mark.parametrize(
    ("overrides", "epoch", "expected"),
    [
        ({}, NIGHT_EPOCH, True),
        ({"label": "car"}, NIGHT_EPOCH, True),
        ({}, DAY_EPOCH, False),
        ({"label": "dog"}, NIGHT_EPOCH, False),
        ({"score": 0.4, "top_score": 0.5}, NIGHT_EPOCH, False),
        ({"entered_zones": ["camino"]}, NIGHT_EPOCH, False),
        ({"camera": "almacen"}, NIGHT_EPOCH, False),
        ({"false_positive": True}, NIGHT_EPOCH, False),
    ],
)
def test_intrusion_needs_label_zone_score_and_night_window(
    overrides: dict, epoch: float, expected: bool
) -> None:
    message = make_message(epoch=epoch, **overrides)
    decision = decide_intrusion(parse_frigate_event(message), [NIGHT_RULE], tz="America/Lima")
    assert decision.is_intrusion is expected, decision.reason
    if expected:
        assert decision.zone == "cerco_perimetrico"


def test_same_frigate_event_raises_one_intrusion() -> None:
    detector = FrigateIntrusionDetector([NIGHT_RULE])
    decisions = [detector.evaluate(make_message(t)) for t in ("new", "update", "update", "end")]
    assert [d.is_intrusion for d in decisions] == [True, False, False, False]
    assert "already reported" in decisions[1].reason
    assert detector.alerted_event_ids == [decisions[0].observation.event_id]


@pytest.mark.parametrize(
    ("local", "start", "end", "expected"),
    [
        (time(23, 0), time(18, 0), time(6, 0), True),
        (time(5, 59), time(18, 0), time(6, 0), True),
        (time(6, 0), time(18, 0), time(6, 0), False),
        (time(12, 0), time(18, 0), time(6, 0), False),
        (time(12, 0), time(8, 0), time(17, 0), True),
        (time(17, 0), time(8, 0), time(17, 0), False),
        (time(3, 0), time(0, 0), time(0, 0), True),
    ],
)
def test_daily_window_crossing_midnight(
    local: time, start: time, end: time, expected: bool
) -> None:
    assert is_within_daily_window(local, start, end) is expected


def test_rule_with_half_a_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        CameraIntrusionRule("cam", frozenset({"z"}), window_start=time(18, 0))


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    import os
    import socket

    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        message = "no MQTT broker answers on 127.0.0.1:1883 (start mosquitto)"
        if os.environ.get("MINEWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return "127.0.0.1", 1883


@pytest.mark.mqtt
def test_frigate_message_through_mosquitto_raises_one_intrusion(mqtt_broker) -> None:
    import threading
    import uuid

    import paho.mqtt.client as mqtt

    host, port = mqtt_broker
    topic = f"frigate-test-{uuid.uuid4().hex}/events"
    detector = FrigateIntrusionDetector([NIGHT_RULE])
    decisions = []
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(client, userdata, message) -> None:
        decisions.append(detector.evaluate(message.payload))
        if len(decisions) == 2:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(host, port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        assert subscribed.wait(5)
        for event_type in ("new", "update"):
            payload = json.dumps(make_message(event_type))
            client.publish(topic, payload, qos=1).wait_for_publish(5)
        assert done.wait(5)
    finally:
        client.disconnect()
        client.loop_stop()
    assert [d.is_intrusion for d in decisions] == [True, False]
