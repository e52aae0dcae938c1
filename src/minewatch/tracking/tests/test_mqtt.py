"""MQTT ingest through a real Mosquitto started with the shipped MineWatch broker settings."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from minewatch.testing.plugin import services_required
from minewatch.tracking.models import IngestRejection, Position
from minewatch.tracking.testing import make_organisation_devices

CONFIG = Path(__file__).resolve().parents[4] / "deploy" / "mosquitto" / "minewatch.conf"
MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
)
BURST = 10_000
DEVICES = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_mosquitto(tmp_path: Path, text: str) -> Iterator[tuple[str, int]]:
    """Our own Mosquitto on a free 127.0.0.1 port with the configuration ``text``."""
    if MOSQUITTO is None:
        message = "the mosquitto binary is not installed (apt-get install mosquitto)"
        if services_required():
            pytest.fail(message + " (MINEWATCH_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    port = free_port()
    tmp_path.chmod(0o777)  # mosquitto started as root drops to its own user
    config = tmp_path / "mosquitto.conf"
    config.write_text(text + f"\nlistener {port} 127.0.0.1\n")
    process = subprocess.Popen(  # noqa: S603 - our own broker binary and config
        [MOSQUITTO, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail(f"mosquitto did not start: {process.stderr.read().decode()[:500]}")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Our own Mosquitto with deploy/mosquitto/minewatch.conf."""
    yield from run_mosquitto(tmp_path, CONFIG.read_text().replace("/var/lib/mosquitto/",
                                                                  f"{tmp_path}/"))  # fmt: skip


@pytest.fixture
def default_mosquitto(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Our own Mosquitto with no project settings (what a host's package installs)."""
    yield from run_mosquitto(tmp_path, "allow_anonymous true\n")


def publisher(host: str, port: int):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-publisher")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    return client


def message(device: str, seconds_ago: float, index: int) -> bytes:
    when = timezone.now() - dt.timedelta(seconds=seconds_ago)
    return json.dumps({"device": device, "time": when.isoformat(), "lat": -14.0 - index * 1e-5,
                       "lon": -72.0, "speed_kmh": 40.0, "ignition": True}).encode()  # fmt: skip


def wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_worker(broker: tuple[str, int], client_id: str, group: str = "ingest",
                 topic: str = "minewatch/positions/#"):  # fmt: skip
    from minewatch.tracking.mqtt import MqttIngestWorker

    worker = MqttIngestWorker(*broker, topic, shared_group=group, client_id=client_id,
                              backlog_probe=0).start()  # fmt: skip
    assert worker.subscribed.wait(10)
    return worker


def publish_burst(broker: tuple[str, int], keys: list[str]) -> None:
    client = publisher(*broker)
    infos = [
        client.publish(
            f"minewatch/positions/{keys[i % len(keys)]}",
            message(keys[i % len(keys)], BURST - i, i),
            qos=1,
        )  # fmt: skip
        for i in range(BURST)
    ]
    for info in infos:
        info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()


@pytest.mark.mqtt
def test_burst_of_10000_messages_arrives_whole(transactional_db, mosquitto) -> None:
    """The burst arrives while the worker is away (restart): the broker must queue all of it.

    With Mosquitto's default ``max_queued_messages 1000`` only about a thousand
    of these would be delivered; the shipped configuration delivers every one.
    """
    keys = make_organisation_devices(DEVICES)
    start_worker(mosquitto, "test-ingest-1").stop()  # the persistent session now exists
    publish_burst(mosquitto, keys)
    worker = start_worker(mosquitto, "test-ingest-1")
    try:
        assert wait_for(lambda: worker.acknowledged >= BURST, 120), worker.acknowledged
        live = BURST // 10  # and fixes published while it is connected arrive too
        client = publisher(*mosquitto)
        infos = [
            client.publish(
                f"minewatch/positions/{keys[0]}", message(keys[0], 1.0 - i * 1e-4, BURST + i), qos=1
            )  # fmt: skip
            for i in range(live)
        ]
        for info in infos:
            info.wait_for_publish(30)
        client.loop_stop()
        client.disconnect()
        assert wait_for(lambda: worker.acknowledged >= BURST + live, 60), worker.acknowledged
    finally:
        worker.stop()
    assert worker.received == BURST + live
    assert Position.objects.filter(source="mqtt", attributes__ignition=True).count() == BURST + live


@pytest.mark.mqtt
def test_malformed_mqtt_message_is_counted_and_the_good_one_stored(
    transactional_db, mosquitto
) -> None:
    keys = make_organisation_devices(1)
    worker = start_worker(mosquitto, "test-ingest-2", group="")
    try:
        client = publisher(*mosquitto)
        client.publish(
            "minewatch/positions/x", b'{"device": "X", "lat": 1}', qos=1
        ).wait_for_publish(5)
        client.publish(f"minewatch/positions/{keys[0]}", message(keys[0], 5, 0),
                       qos=1).wait_for_publish(5)  # fmt: skip
        # another device's topic: refused (the broker's ACL names the topic, not the payload)
        client.publish("minewatch/positions/OTHER", message(keys[0], 4, 1),
                       qos=1).wait_for_publish(5)  # fmt: skip
        client.loop_stop()
        client.disconnect()
        assert wait_for(lambda: worker.acknowledged >= 3, 30)
    finally:
        worker.stop()
    assert Position.objects.count() == 1
    rejection = IngestRejection.objects.get(source="mqtt", reason="malformed")
    assert (rejection.field, rejection.count) == ("lon", 1)
    mismatch = IngestRejection.objects.get(source="mqtt", reason="topic_mismatch")
    assert (mismatch.device_key, mismatch.field, mismatch.count) == (keys[0], "device", 1)


def publish_packet(topic: str, payload: bytes, mid: int, qos: int = 1) -> bytes:
    from minewatch.tracking.mqtt_wire import _packet, _string

    body = _string(topic) + (mid.to_bytes(2, "big") if qos else b"") + payload
    return _packet(0x30 | qos << 1, body)


def test_wire_session_splits_packets_cut_anywhere_and_acks_in_one_write() -> None:
    """Packets arriving in pieces (any cut, long remaining lengths) parse whole, in order."""
    from minewatch.tracking.mqtt_wire import MqttSession

    long_payload = b"x" * 300  # a two-byte remaining length
    stream = (publish_packet("a/1", b'{"n":1}', 7) + publish_packet("a/2", long_payload, 8)
              + bytes([0xD0, 0]) + publish_packet("a/3", b"q0", 0, qos=0))  # fmt: skip
    for cut in range(1, len(stream)):
        ours, theirs = socket.socketpair()
        session = MqttSession("test", 0, "c", keepalive_s=0)
        session.sock = ours
        try:
            theirs.sendall(stream[:cut])
            got = session.read(wait_s=1, max_messages=10)
            theirs.sendall(stream[cut:])
            while len(got) < 3:
                more = session.read(wait_s=1, max_messages=10)
                assert more, f"cut at {cut}: stalled after {len(got)} messages"
                got += more
            assert [(m.mid, m.qos, m.topic, m.payload) for m in got] == [
                (7, 1, "a/1", b'{"n":1}'), (8, 1, "a/2", long_payload), (0, 0, "a/3", b"q0")
            ]  # fmt: skip
            assert session.ack(got) == 2
            assert theirs.recv(100) == b"\x40\x02\x00\x07\x40\x02\x00\x08"
        finally:
            ours.close()
            theirs.close()


def test_wire_session_refuses_qos2_and_unknown_packets() -> None:
    from minewatch.tracking.mqtt_wire import MqttError, MqttSession

    for stream, text in ((publish_packet("a", b"p", 1, qos=2), "QoS 2"),
                         (bytes([0x60, 0]), "unexpected packet type 6")):  # fmt: skip
        ours, theirs = socket.socketpair()
        session = MqttSession("test", 0, "c", keepalive_s=0)
        session.sock = ours
        theirs.sendall(stream)
        with pytest.raises(MqttError, match=text):
            session.read(wait_s=1, max_messages=10)
        ours.close()
        theirs.close()


@pytest.mark.mqtt
def test_qos1_fixes_published_while_the_worker_is_down_arrive_after_restart(
    transactional_db, mqtt_broker
) -> None:
    """Issue #12 item 3, on the host's Mosquitto (127.0.0.1:1883): a persistent session
    (fixed client id, clean session off) makes the broker queue for the worker."""
    keys = make_organisation_devices(3)
    client_id, topic = "minewatch-h1-test-restart", "minewatch/h1-test-restart/positions"
    start_worker(mqtt_broker, client_id, group="", topic=topic + "/#").stop()
    client = publisher(*mqtt_broker)
    infos = [client.publish(f"{topic}/{keys[i % 3]}", message(keys[i % 3], 60 - i, i), qos=1)
             for i in range(50)]  # fmt: skip
    for info in infos:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()
    worker = start_worker(mqtt_broker, client_id, group="", topic=topic + "/#")
    try:
        assert worker.session.session_present
        assert wait_for(lambda: worker.acknowledged >= 50, 30), worker.acknowledged
    finally:
        worker.stop()
        from minewatch.tracking.mqtt import _drop_session

        _drop_session(*mqtt_broker, client_id, {"username": "", "password": ""})
    assert Position.objects.filter(source="mqtt").count() == 50


@pytest.mark.mqtt
def test_backlog_check_warns_on_a_broker_that_drops_the_backlog(default_mosquitto, caplog) -> None:
    from minewatch.tracking.mqtt import MqttIngestWorker

    worker = MqttIngestWorker(*default_mosquitto, "minewatch/positions/#",
                              client_id="minewatch-h1-test-probe")  # fmt: skip
    check = worker.check_broker()
    assert check is not None and check.session_kept and not check.ok
    assert check.received < check.published == 2000
    assert "max_queued_messages 0" in caplog.text and "max_mqueue_len" in caplog.text
    assert worker.check_broker() is check  # once per worker


@pytest.mark.mqtt
def test_backlog_check_passes_with_the_shipped_broker_settings(mosquitto, caplog) -> None:
    from minewatch.tracking.mqtt import check_backlog

    check = check_backlog(*mosquitto, "minewatch-h1-test-probe-ok")
    assert check.ok and check.received == check.published == 2000
    assert check.problem() == ""
