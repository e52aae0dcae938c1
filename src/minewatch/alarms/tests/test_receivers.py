"""The SIA receiver and the Frigate subscriber end to end: real frames over 127.0.0.1 and real
messages through Mosquitto become stored events and alerts; bad input never stops them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from minewatch.alarms import services
from minewatch.alarms.engine.sia_client import build_sia_frame, send_sia_frame
from minewatch.alarms.models import CameraObservationRecord, PanelEventRecord
from minewatch.alarms.receivers import SiaReceiverThread, frigate_client
from minewatch.alarms.testing import frigate_message
from minewatch.alerts.models import Alert
from minewatch.core import services as core_services
from minewatch.geo import services as geo_services

KEY = "0123456789ABCDEF"


def wait_for(condition, timeout_s: float = 8.0) -> bool:
    """Poll ``condition``; the in-memory test database may be briefly locked by the writer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass
        time.sleep(0.1)
    return False


@pytest.fixture
def site_with_panel(transactional_db):
    org = core_services.create_organisation(actor=None, name="Mina SIA", kind="mining_company")
    manager = core_services.create_user(actor=None, username="sia-mgr", password="x-long-pass-99",
                                        organisation=org, role="security_manager")  # fmt: skip
    site = geo_services.save_site(actor=manager, organisation=org, name="Pataz", kind="mine",
                                  lat=-7.735, lon=-77.53)  # fmt: skip
    services.save_panel(actor=manager, organisation=org, site=site, name="Polvorín", account="C0FE",
                        key=KEY, zone_map={"5": {"name": "Puerta polvorín", "perimeter": True}})  # fmt: skip
    services.save_camera_rule(actor=manager, organisation=org, site=site, camera="garita",
                              zones=["cerco"], labels=["person"])  # fmt: skip
    return site


def exchange(port: int, frames: list[bytes], protocol: str = "tcp") -> list[bytes]:
    async def run() -> list[bytes]:
        answers = []
        for frame in frames:
            try:
                answers.append(await send_sia_frame(frame, host="127.0.0.1", port=port,
                                                    protocol=protocol, timeout_s=3))  # fmt: skip
            except TimeoutError:
                answers.append(b"")
        return answers

    return asyncio.run(run())


def test_real_sia_frames_become_alerts_and_bad_frames_do_not_stop_the_receiver(
    site_with_panel,
) -> None:
    receiver = SiaReceiverThread(port=0).start()
    try:
        port = receiver.tcp_port
        stale = timezone.now() - dt.timedelta(minutes=10)
        frames = [
            b"\nthis is not a SIA frame\r",
            build_sia_frame(account="C0FE", code="BA", zone=5, key=KEY, corrupt_crc=True),
            build_sia_frame(account="BEEF", code="BA", zone=5),  # unknown account
            build_sia_frame(
                account="C0FE", code="BA", zone=5, key=KEY, timestamp_utc=stale
            ),  # replay
            build_sia_frame(account="C0FE", code="BA", zone=5, key=KEY, sequence=7),
            build_sia_frame(account="C0FE", code="PA", zone=1, key=KEY, sequence=8),
        ]
        answers = exchange(port, frames)
        heartbeat = build_sia_frame(account="C0FE", code="RP", key=KEY, sequence=9)
        udp = exchange(receiver.udp_port, [heartbeat], "udp")
        assert [b"NAK" in a for a in answers[:4]] == [True, False, True, True]
        assert b'"*ACK"' in answers[4] and b'"*ACK"' in answers[5] and b"ACK" in udp[0]
        assert wait_for(lambda: Alert.objects.filter(kind="alarm.panic").exists())
        assert wait_for(lambda: PanelEventRecord.objects.count() == 2)
        perimeter = Alert.objects.get(kind="alarm.perimeter")
        assert perimeter.site == site_with_panel and "Puerta polvorín" in perimeter.title
        reasons = receiver.receiver.rejected_by_reason
        assert {"malformed", "crc", "unknown_account", "stale_timestamp"} <= set(reasons)
    finally:
        receiver.stop()


@pytest.mark.mqtt
def test_frigate_event_and_snapshot_through_mosquitto_make_one_alert_with_its_picture(
    site_with_panel, mqtt_broker
) -> None:
    import paho.mqtt.client as mqtt

    host, port = mqtt_broker
    prefix = f"frigate-test-{time.time_ns()}"
    listener = frigate_client(host, port, prefix=prefix)
    listener.loop_start()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect(host, port)
    publisher.loop_start()
    try:
        time.sleep(0.5)  # let the subscription settle
        publisher.publish(
            f"{prefix}/events", b'{"type": "new", "after": {"camera": "garita"}}', qos=1
        )
        message = frigate_message("garita", event_id="1702.1-mq")
        publisher.publish(f"{prefix}/events", message, qos=1)
        update = json.loads(message)
        update["type"] = "update"
        publisher.publish(f"{prefix}/events", json.dumps(update).encode(), qos=1)
        assert wait_for(
            lambda: CameraObservationRecord.objects.filter(event_id="1702.1-mq").exists()
        )
        jpeg = b"\xff\xd8\xff\xe0" + b"\x01" * 128
        publisher.publish(f"{prefix}/garita/person/snapshot", jpeg, qos=1)
        assert wait_for(
            lambda: Alert.objects.filter(kind="camera.intrusion").exclude(snapshot="").exists()
        )
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        listener.loop_stop()
        listener.disconnect()
    alert = Alert.objects.get(kind="camera.intrusion")
    assert alert.occurrences == 1 and alert.snapshot.read() == jpeg


@pytest.mark.mqtt
def test_frigate_event_published_while_the_subscriber_is_down_arrives_after_restart(
    site_with_panel, mqtt_broker
) -> None:
    """The sibling of issue #12 item 3: a fixed client id and a persistent session."""
    import paho.mqtt.client as mqtt

    host, port = mqtt_broker
    prefix, client_id = f"frigate-h1-{time.time_ns()}", f"minewatch-frigate-h1-{time.time_ns()}"
    first = frigate_client(host, port, prefix=prefix, client_id=client_id)
    first.loop_start()
    assert wait_for(lambda: first.is_connected())
    time.sleep(0.5)  # the subscription is in place
    first.loop_stop()
    first.disconnect()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect(host, port)
    publisher.loop_start()
    publisher.publish(f"{prefix}/events", frigate_message("garita", event_id="down-1"),
                      qos=1).wait_for_publish(5)  # fmt: skip
    publisher.loop_stop()
    publisher.disconnect()
    again = frigate_client(host, port, prefix=prefix, client_id=client_id)
    again.loop_start()
    try:
        assert wait_for(lambda: CameraObservationRecord.objects.filter(event_id="down-1").exists())
    finally:
        again.loop_stop()
        again.disconnect()
        cleaner = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                              clean_session=True)  # fmt: skip
        cleaner.connect(host, port)
        cleaner.disconnect()
