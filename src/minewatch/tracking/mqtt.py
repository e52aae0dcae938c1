"""MQTT ingest worker: JSON positions from a broker into the one ingest path.

``minewatch tracking mqtt --broker 127.0.0.1:1883 --topic 'minewatch/positions/#'
--shared-group ingest`` runs one worker. Design, for not losing fixes:

* QoS 1 and a persistent session (``clean_session=False``, fixed client id):
  what arrives while the worker is down waits in the broker.
* Shared subscription ``$share/<group>/<topic>``: several workers split the
  stream; start as many as the database can take.
* Acknowledgement after commit: the PUBACKs of a batch are sent only after its
  fixes are committed (or refused and counted), so a crash means redelivery, not loss.
* Batches: everything the broker has sent (up to ``max_fixes`` messages) is
  ingested in one transaction, and acknowledged in one write
  (:class:`~minewatch.tracking.mqtt_wire.MqttSession`, a lean MQTT 3.1.1
  subscriber: paho-mqtt's per-message reads and acknowledgements cost more than
  the ingest itself).

The broker must not drop bursts: see ``docs/mqtt-broker.md`` and
``deploy/mosquitto/minewatch.conf`` (Mosquitto's default ``max_queued_messages``
of 1000 per client silently discards the rest of a burst).
The message format is :func:`~minewatch.tracking.engine.parse_mqtt_position`'s.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from dataclasses import dataclass

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import Fix, ProtocolError, parse_mqtt_position
from minewatch.tracking.mqtt_wire import Message, MqttError, MqttSession
from minewatch.tracking.pipeline import EventRelay
from minewatch.tracking.services.ingest import publish_from_this_thread

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
    """One subscriber session feeding :func:`ingest_fixes` in batches (see module docstring).

    One thread reads what the broker sent (up to ``max_fixes`` messages) and
    parses it; a second stores each batch in one transaction, then acknowledges
    the whole batch. While a batch is being stored the broker keeps sending into
    the socket (its in-flight window) and the next batch is parsed.
    """

    def __init__(
        self, host: str, port: int, topic: str, *, shared_group: str = "ingest",
        client_id: str = "", qos: int = 1, max_fixes: int = 5000,
        username: str = "", password: str = "", keepalive_s: int = 30,
    ) -> None:  # fmt: skip
        if max_fixes < 1:
            raise ValueError(f"max_fixes must be >= 1, got {max_fixes}")
        self.host, self.port, self.qos, self.max_fixes = host, port, qos, max_fixes
        self.subscription = f"$share/{shared_group}/{topic}" if shared_group else topic
        self.session = MqttSession(
            host, port, client_id or default_client_id(shared_group), keepalive_s=keepalive_s,
            clean_session=False, username=username, password=password,
        )  # fmt: skip
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.received = 0
        self.malformed = 0
        self.acknowledged = 0
        self.batches = 0

    def start(self) -> MqttIngestWorker:
        """Run the worker in a background thread."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self.run_forever, name="mqtt-ingest",
                                            daemon=True)  # fmt: skip
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def run_forever(self) -> None:
        """Connect (again after any failure, backing off up to 30 s) and ingest until stopped."""
        from django.db import connections

        self._relay = relay = EventRelay()
        delay = 1.0
        try:
            while not self._stopping.is_set():
                try:
                    self._connect()
                    delay = 1.0
                    self._serve()
                except (OSError, MqttError) as error:
                    logger.warning("MQTT %s:%d: %s; reconnecting in %.0f s", self.host,
                                   self.port, error, delay)  # fmt: skip
                    self.session.close(graceful=False)
                    self.subscribed.clear()
                    self._stopping.wait(delay)
                    delay = min(30.0, delay * 2)
        finally:
            self.session.close()
            relay.stop()
            connections.close_all()

    def _connect(self) -> None:
        self.session.connect()
        self.session.subscribe(self.subscription, self.qos)
        logger.info("subscribed to %s on %s:%d", self.subscription, self.host, self.port)
        self.subscribed.set()

    def _serve(self) -> None:
        """This thread reads and parses; a storer thread commits and acknowledges.

        So the next batch is read and parsed while the previous one waits on the
        database. Before reconnecting, the storer finishes (or abandons) what it
        holds: packet ids must never be acknowledged on another connection.
        """
        pending: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        failed = threading.Event()
        storer = threading.Thread(target=self._store_loop, args=(pending, failed),
                                  name="mqtt-ingest-store", daemon=True)  # fmt: skip
        storer.start()
        try:
            while not self._stopping.is_set() and not failed.is_set():
                messages = self.session.read(wait_s=0.25, max_messages=self.max_fixes)
                if not messages:
                    continue
                self.received += len(messages)
                batch = _parse(messages)
                while not failed.is_set():
                    try:
                        pending.put(batch, timeout=0.25)
                        break
                    except queue.Full:
                        self.session.keep_alive()
        finally:
            pending.put(None)
            storer.join()
        if failed.is_set():
            # Not acknowledged: the broker redelivers those messages to the next session.
            raise MqttError("a batch could not be stored; reconnecting for redelivery")

    def _store_loop(self, pending: queue.Queue, failed: threading.Event) -> None:
        from django.db import close_old_connections, connections

        publish_from_this_thread(self._relay.publish)
        try:
            while (batch := pending.get()) is not None:
                if failed.is_set():
                    continue  # the connection is being dropped: leave it unacknowledged
                for attempt in range(RETRIES + 1):
                    try:
                        self._store(batch.fixes, batch.payloads, batch.malformed)
                        break
                    except Exception:
                        logger.exception("MQTT batch of %d messages not stored (attempt %d)",
                                         len(batch.messages), attempt + 1)  # fmt: skip
                        close_old_connections()
                        if attempt == RETRIES:
                            failed.set()
                        else:
                            self._stopping.wait(0.2 * (attempt + 1))
                if failed.is_set():
                    continue
                # Acknowledged only now: every fix is committed (or refused and counted).
                try:
                    self.session.ack(batch.messages)
                except OSError:
                    failed.set()  # connection lost: the broker redelivers; stored once
                    continue
                self.acknowledged += len(batch.messages)
                self.batches += 1
        finally:
            connections.close_all()

    def _store(self, fixes: list, payloads: list[bytes], malformed: list) -> None:
        from django.db import transaction

        from minewatch.tracking.services.ingest import ingest_fixes, reject_input

        with transaction.atomic():
            for error, payload in malformed:
                reject_input(
                    source=IngestSource.MQTT, reason="malformed", field_name=error.field,
                    message=error.message, sample=_sample(payload),
                )  # fmt: skip
            if fixes:
                ingest_fixes(fixes, source=IngestSource.MQTT, trusted=True,
                             sample=lambda index: _sample(payloads[index]))  # fmt: skip
        self.malformed += len(malformed)


@dataclass
class _Batch:
    messages: list[Message]
    fixes: list[Fix]
    payloads: list[bytes]
    malformed: list[tuple[ProtocolError, bytes]]


def _parse(messages: list[Message]) -> _Batch:
    batch = _Batch(messages, [], [], [])
    for message in messages:
        try:
            batch.fixes.append(parse_mqtt_position(message.payload))
            batch.payloads.append(message.payload)
        except ProtocolError as error:
            batch.malformed.append((error, message.payload))
    return batch


def _sample(payload: bytes) -> str:
    return payload[:300].decode("utf-8", errors="replace")
