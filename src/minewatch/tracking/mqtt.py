"""MQTT ingest worker: JSON positions from a broker into the one ingest path.

``minewatch tracking mqtt --broker 127.0.0.1:1883 --topic 'minewatch/positions/#'
--shared-group ingest`` runs one worker. Design, for not losing fixes:

* QoS 1 and a persistent session (``clean_session=False``, fixed client id):
  what arrives while the worker is down waits in the broker.
* Shared subscription ``$share/<group>/<topic>``: several workers split the
  stream; start as many as the database can take.
* Manual acknowledgement: the PUBACK for a message is sent only after its fix
  is committed (or refused and counted), so a crash means redelivery, not loss.
* Batches: messages go through :class:`~minewatch.tracking.pipeline.IngestBatcher`.

The broker must not drop bursts: see ``docs/mqtt-broker.md`` and
``deploy/mosquitto/minewatch.conf`` (Mosquitto's default ``max_queued_messages``
of 1000 per client silently discards the rest of a burst).
The message format is :func:`~minewatch.tracking.engine.parse_mqtt_position`'s.
"""

from __future__ import annotations

import logging
import socket
import threading
from concurrent.futures import Future
from typing import Any

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import ProtocolError, parse_mqtt_position
from minewatch.tracking.pipeline import IngestBatcher

logger = logging.getLogger("minewatch.tracking")
RETRIES = 3


def parse_broker(text: str) -> tuple[str, int]:
    """``host:port`` (port 1883 when omitted) or ValueError naming the value."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "1883")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"broker {text!r}: port {port!r} is not a number") from None
    if not host or not 0 < number < 65536:
        raise ValueError(f"broker {text!r}: expected host:port")
    return host, number


def default_client_id(group: str) -> str:
    return f"minewatch-ingest-{group or 'solo'}-{socket.gethostname()}"[:64]


class MqttIngestWorker:
    """A paho-mqtt 2 client feeding an :class:`IngestBatcher` (see module docstring)."""

    def __init__(
        self, host: str, port: int, topic: str, *, shared_group: str = "ingest",
        client_id: str = "", qos: int = 1, max_wait_s: float = 0.0, max_fixes: int = 5000,
        username: str = "", password: str = "",
    ) -> None:  # fmt: skip
        import paho.mqtt.client as mqtt

        self.host, self.port, self.qos = host, port, qos
        self.subscription = f"$share/{shared_group}/{topic}" if shared_group else topic
        self.batcher = IngestBatcher(
            source=IngestSource.MQTT, max_wait_s=max_wait_s, max_fixes=max_fixes
        )
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or default_client_id(shared_group),
            clean_session=False, protocol=mqtt.MQTTv311, manual_ack=True,
        )  # fmt: skip
        if username:
            self.client.username_pw_set(username, password or None)
        # Let the broker send many unacknowledged messages: we acknowledge per batch.
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 30)
        self.subscribed = threading.Event()
        self.received = 0
        self.malformed = 0
        self.acknowledged = 0

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.subscription, qos=self.qos)
        logger.info("subscribed to %s on %s:%d", self.subscription, self.host, self.port)
        self.subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.received += 1
        try:
            fix = parse_mqtt_position(message.payload)
        except ProtocolError as error:
            self.malformed += 1
            self._count_malformed(error, message.payload)
            self._ack(message)
            return
        self._submit(fix, message, RETRIES)

    def _submit(self, fix: Any, message: Any, retries: int) -> None:
        sample = message.payload[:300].decode("utf-8", errors="replace")
        future = self.batcher.submit([fix], trusted=True, sample=sample)
        future.add_done_callback(lambda done: self._done(done, fix, message, retries))

    def _done(self, future: Future, fix: Any, message: Any, retries: int) -> None:
        if future.exception() is not None and retries > 0:
            self._submit(fix, message, retries - 1)
            return
        if future.exception() is not None:
            # Not acknowledged: the broker redelivers it when this session reconnects.
            logger.error("fix from %s not stored: %s", fix.device_key, future.exception())
            return
        self._ack(message)

    def _ack(self, message: Any) -> None:
        self.client.ack(message.mid, message.qos)
        self.acknowledged += 1

    def _count_malformed(self, error: ProtocolError, payload: bytes) -> None:
        from minewatch.tracking.services.ingest import reject_input

        try:
            reject_input(
                source=IngestSource.MQTT, reason="malformed", field_name=error.field,
                message=error.message, sample=payload[:300].decode("utf-8", errors="replace"),
            )  # fmt: skip
        except Exception:
            logger.exception("could not count a malformed MQTT message")
        finally:
            from django.db import connections

            connections.close_all()  # the network thread is not a request: do not keep it

    def start(self) -> MqttIngestWorker:
        """Connect and run the network loop in a background thread."""
        self.batcher.start()
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self

    def run_forever(self) -> None:
        """Connect and run the network loop in this thread (the CLI command)."""
        self.batcher.start()
        self.client.connect(self.host, self.port, keepalive=30)
        try:
            self.client.loop_forever(retry_first_connection=True)
        finally:
            self.batcher.stop()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.batcher.stop()
