"""Delivery channels against real local servers: SMTP, HTTP receivers, Mosquitto."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from minewatch.alerts.engine.channels import (
    KeepAlivePoster,
    backoff_delay_s,
    deliver_with_retries,
    post_webhook,
    publish_mqtt,
    send_email,
    send_sms_via_gateway,
    sign_webhook_body,
    verify_webhook_signature,
)

SECRET = "compartido-con-el-receptor"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


class Receiver:
    """Local HTTP receiver: /ok checks the signature, /fail answers 500, /hang stalls."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes, dict]] = []
        self.fail_first = 0
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, body, dict(self.headers)))
                self.send_response(receiver.status_for(self.path, body, dict(self.headers)))
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def status_for(self, path: str, body: bytes, headers: dict) -> int:
        if path == "/hang":
            self.release.wait(10)
            return 200
        if path == "/fail":
            return 500
        if path == "/flaky" and len(self.requests) <= self.fail_first:
            return 503
        ok = verify_webhook_signature(body, headers, secret=SECRET, now_utc=datetime.now(UTC))
        return 200 if ok else 401


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


def test_email_is_delivered_to_a_real_smtp_server(smtp_server) -> None:
    port, inbox = smtp_server
    attempt = send_email(
        host="127.0.0.1",
        port=port,
        sender="alertas@minewatch.example",
        recipients=["operador@mina.example"],
        subject="Alerta: invasión en concesión",
        body="Se detectó ingreso no autorizado en el cerco norte.",
        timeout_s=5,
    )
    assert (attempt.status, attempt.status_code) == ("sent", 250)
    assert inbox.envelopes[0].rcpt_tos == ["operador@mina.example"]
    assert "cerco norte" in inbox.envelopes[0].content.decode("utf-8", "replace")


def test_email_to_a_closed_port_is_a_retryable_failure() -> None:
    attempt = send_email(
        host="127.0.0.1",
        port=free_port(),
        sender="a@example.org",
        recipients=["b@example.org"],
        subject="x",
        body="x",
        timeout_s=2,
    )
    assert attempt.status == "failed" and attempt.is_retryable and attempt.error


def test_signed_webhook_is_accepted_by_a_verifying_receiver(http_receiver: Receiver) -> None:
    attempt = post_webhook(
        http_receiver.url + "/ok", {"alert": "A-1", "severity": "high"}, secret=SECRET
    )
    assert (attempt.status, attempt.status_code) == ("sent", 200)
    _, body, headers = http_receiver.requests[0]
    assert json.loads(body) == {"alert": "A-1", "severity": "high"}
    assert headers["X-MineWatch-Signature"].startswith("sha256=")


def test_webhook_signed_with_another_secret_is_refused(http_receiver: Receiver) -> None:
    attempt = post_webhook(http_receiver.url + "/ok", {"alert": "A-1"}, secret="otro")
    assert (attempt.status, attempt.status_code, attempt.is_retryable) == ("failed", 401, False)


def test_receiver_answering_500_is_retried_with_backoff_then_failed(
    http_receiver: Receiver,
) -> None:
    waits: list[float] = []
    attempts = deliver_with_retries(
        lambda n: post_webhook(
            http_receiver.url + "/fail", {"a": 1}, secret=SECRET, attempt_number=n
        ),
        max_attempts=3,
        base_s=0.01,
        sleep=waits.append,
    )
    assert [a.status for a in attempts] == ["retrying", "retrying", "failed"]
    assert [a.status_code for a in attempts] == [500, 500, 500]
    assert waits == [0.01, 0.02]
    assert attempts[0].next_retry_at_utc is not None
    assert len(http_receiver.requests) == 3


def test_receiver_recovering_after_503_gets_the_alert(http_receiver: Receiver) -> None:
    http_receiver.fail_first = 2
    attempts = deliver_with_retries(
        lambda n: post_webhook(
            http_receiver.url + "/flaky", {"a": 1}, secret=SECRET, attempt_number=n
        ),
        max_attempts=5,
        base_s=0.0,
        sleep=lambda s: None,
    )
    assert [a.status for a in attempts] == ["retrying", "retrying", "sent"]


def test_hanging_receiver_times_out_as_a_retryable_failure(http_receiver: Receiver) -> None:
    attempt = post_webhook(http_receiver.url + "/hang", {"a": 1}, secret=SECRET, timeout_s=0.3)
    assert attempt.status == "failed" and attempt.is_retryable
    assert "Timeout" in (attempt.error or "")


def test_sms_gateway_receives_the_filled_template(http_receiver: Receiver) -> None:
    attempt = send_sms_via_gateway(
        http_receiver.url + "/ok",
        template={"to": "{to}", "body": "MineWatch: {text}"},
        to_number="+51987654321",
        text="Bloqueo de vía en km 42",
        secret=SECRET,
    )
    assert attempt.status == "sent" and attempt.channel == "sms"
    assert json.loads(http_receiver.requests[0][1]) == {
        "to": "+51987654321",
        "body": "MineWatch: Bloqueo de vía en km 42",
    }


@pytest.mark.parametrize(
    ("timestamp_offset_s", "expected"), [(0, True), (-299, True), (-301, False), (400, False)]
)
def test_signature_freshness_window(timestamp_offset_s: int, expected: bool) -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    stamp = int(now.timestamp()) + timestamp_offset_s
    headers = {
        "X-MineWatch-Timestamp": str(stamp),
        "X-MineWatch-Signature": sign_webhook_body(b"{}", secret=SECRET, timestamp_s=stamp),
    }
    assert verify_webhook_signature(b"{}", headers, secret=SECRET, now_utc=now) is expected


@pytest.mark.parametrize(("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (10, 300.0)])
def test_backoff_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff_delay_s(attempt) == expected


def test_mqtt_publish_to_a_closed_port_is_a_retryable_failure() -> None:
    attempt = publish_mqtt(
        host="127.0.0.1", port=free_port(), topic="minewatch/test", payload=b"x", timeout_s=2
    )
    assert attempt.status == "failed" and attempt.is_retryable


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        message = "no MQTT broker answers on 127.0.0.1:1883 (start mosquitto)"
        if os.environ.get("MINEWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return "127.0.0.1", 1883


@pytest.mark.mqtt
def test_mqtt_publish_reaches_a_subscriber_through_mosquitto(mqtt_broker) -> None:
    import paho.mqtt.client as mqtt

    host, port = mqtt_broker
    topic = f"minewatch/test/{uuid.uuid4().hex}"
    received: list[bytes] = []
    subscribed = threading.Event()
    arrived = threading.Event()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscriber.on_subscribe = lambda *args: subscribed.set()
    subscriber.on_message = lambda client, userdata, msg: (
        received.append(msg.payload),
        arrived.set(),
    )
    subscriber.connect(host, port)
    subscriber.subscribe(topic, qos=1)
    subscriber.loop_start()
    try:
        assert subscribed.wait(5)
        attempt = publish_mqtt(host=host, port=port, topic=topic, payload={"alert": "A-1"})
        assert attempt.status == "sent"
        assert arrived.wait(5)
    finally:
        subscriber.disconnect()
        subscriber.loop_stop()
    assert json.loads(received[0]) == {"alert": "A-1"}


class KeepAliveReceiver:
    """HTTP/1.1 receiver recording each request's client port; /drop answers and then
    closes the connection without saying so (as a receiver's idle timeout would)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((self.path, self.client_address[1]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if self.path == "/drop":
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keep_alive_receiver() -> Iterator[KeepAliveReceiver]:
    receiver = KeepAliveReceiver()
    yield receiver
    receiver.close()


def test_keep_alive_poster_reuses_one_connection(keep_alive_receiver: KeepAliveReceiver) -> None:
    poster = KeepAlivePoster()
    try:
        attempts = [
            post_webhook(
                keep_alive_receiver.url + "/a", {"n": n}, secret=SECRET, keep_alive=poster
            )  # fmt: skip
            for n in range(3)
        ]
    finally:
        poster.close()
    assert [(a.status, a.status_code) for a in attempts] == [("sent", 200)] * 3
    assert len({port for _, port in keep_alive_receiver.seen}) == 1


def test_keep_alive_poster_reconnects_after_the_receiver_closed_without_resending(
    keep_alive_receiver: KeepAliveReceiver,
) -> None:
    poster = KeepAlivePoster()
    try:
        first = post_webhook(keep_alive_receiver.url + "/drop", {"n": 1}, secret=None,
                             keep_alive=poster)  # fmt: skip
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _peer_closed(poster):
            time.sleep(0.01)
        second = post_webhook(keep_alive_receiver.url + "/b", {"n": 2}, secret=None,
                              keep_alive=poster)  # fmt: skip
    finally:
        poster.close()
    assert (first.status, second.status) == ("sent", "sent")
    paths = [path for path, _ in keep_alive_receiver.seen]
    assert paths == ["/drop", "/b"]  # each posted once
    assert keep_alive_receiver.seen[0][1] != keep_alive_receiver.seen[1][1]


def _peer_closed(poster: KeepAlivePoster) -> bool:
    from minewatch.alerts.engine.channels import _dropped

    return all(_dropped(c) for c in poster._connections.values())


def test_keep_alive_poster_times_out_as_a_retryable_failure(http_receiver: Receiver) -> None:
    poster = KeepAlivePoster()
    try:
        attempt = post_webhook(http_receiver.url + "/hang", {"a": 1}, secret=SECRET,
                               timeout_s=0.3, keep_alive=poster)  # fmt: skip
    finally:
        poster.close()
    assert attempt.status == "failed" and attempt.is_retryable
    assert "timed out" in (attempt.error or "")


def test_keep_alive_poster_leaves_https_and_proxied_urls_to_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert KeepAlivePoster.handles("http://127.0.0.1:9/hook")
    assert not KeepAlivePoster.handles("https://127.0.0.1:9/hook")
    assert not KeepAlivePoster.handles("mqtt://127.0.0.1/hook")
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "")
    assert not KeepAlivePoster.handles("http://receiver.example/hook")
