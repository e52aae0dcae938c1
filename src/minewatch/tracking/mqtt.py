"""MQTT ingest worker: JSON positions from a broker into the one ingest path.

``minewatch tracking mqtt --broker 127.0.0.1:1883 --topic 'minewatch/positions/#'
--shared-group ingest`` runs one worker. Design, for not losing fixes:

* QoS 1 and a persistent session (``clean_session=False``, fixed client id per worker):
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

The broker must not drop bursts: at start-up the worker checks that it holds a
backlog (:func:`check_backlog`) and logs an error naming the setting if not; see
``docs/mqtt-broker.md`` and
``deploy/mosquitto/minewatch.conf`` (Mosquitto's default ``max_queued_messages``
of 1000 per client silently discards the rest of a burst).
The message format is :func:`~minewatch.tracking.engine.parse_mqtt_position`'s.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from dataclasses import dataclass

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import Fix, ProtocolError, parse_mqtt_position
from minewatch.tracking.mqtt_wire import Message, MqttError, MqttSession
from minewatch.tracking.pipeline import EventRelay
from minewatch.tracking.services.ingest import publish_from_this_thread

logger = logging.getLogger("minewatch.tracking")
RETRIES = 3
# Mosquitto's default max_queued_messages is 1000, EMQX's max_mqueue_len too: a probe of
# more than that shows whether the broker would drop a backlog.
BACKLOG_PROBE_MESSAGES = 2000
BROKER_SETTINGS_HINT = (
    "set on Mosquitto `max_queued_messages 0`, `max_queued_bytes 536870912`, "
    "`persistence true` (deploy/mosquitto/minewatch.conf); on EMQX `mqtt.max_mqueue_len = 0` "
    "(or a large value) and `mqtt.session_expiry_interval` longer than any outage; "
    "see docs/mqtt-broker.md"
)


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
        backlog_probe: int = BACKLOG_PROBE_MESSAGES, topic_names_device: bool = True,
    ) -> None:  # fmt: skip
        if max_fixes < 1:
            raise ValueError(f"max_fixes must be >= 1, got {max_fixes}")
        self.host, self.port, self.qos, self.max_fixes = host, port, qos, max_fixes
        self.subscription = f"$share/{shared_group}/{topic}" if shared_group else topic
        # A fixed client id and clean_session=False: the broker queues for this worker while
        # it is down (a new id per start would leave the old session's queue behind).
        self.client_id = client_id or default_client_id(shared_group)
        self.session = MqttSession(
            host, port, self.client_id, keepalive_s=keepalive_s,
            clean_session=False, username=username, password=password,
        )  # fmt: skip
        self.backlog_probe = backlog_probe
        self.backlog: BacklogCheck | None = None
        self.topic_names_device = topic_names_device
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
        self.check_broker()
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

    def check_broker(self) -> BacklogCheck | None:
        """Once at start-up: will the broker hold a backlog for us? Loud warning if not.

        Runs at most once per worker (``run_forever`` calls it; the CLI calls it
        first to print the outcome); ``backlog_probe=0`` skips it.
        """
        messages, self.backlog_probe = self.backlog_probe, 0
        if not messages:
            return self.backlog
        try:
            self.backlog = check_backlog(
                self.host, self.port, self.client_id, messages=messages,
                username=self.session.username, password=self.session.password,
            )  # fmt: skip
        except (OSError, MqttError) as error:
            logger.warning("MQTT %s:%d: backlog check not possible: %s", self.host, self.port,
                           error)  # fmt: skip
            return None
        if not self.backlog.ok:
            logger.error("!!! %s", self.backlog.problem())
        return self.backlog

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
                batch = _parse(messages, topic_names_device=self.topic_names_device)
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
                    source=IngestSource.MQTT, reason=getattr(error, "reason", "malformed"),
                    field_name=error.field, message=error.message, sample=_sample(payload),
                    device_key=getattr(error, "device", ""),
                )  # fmt: skip
            if fixes:
                ingest_fixes(fixes, source=IngestSource.MQTT, trusted=True,
                             sample=lambda index: _sample(payloads[index]))  # fmt: skip
        self.malformed += len(malformed)


@dataclass(frozen=True)
class BacklogCheck:
    """What the broker kept for an offline persistent session (see :func:`check_backlog`)."""

    published: int
    received: int
    session_kept: bool

    @property
    def ok(self) -> bool:
        return self.session_kept and self.received >= self.published

    def problem(self) -> str:
        """The warning to print when not ``ok`` (empty when ``ok``)."""
        if not self.session_kept:
            return ("the MQTT broker did not keep the worker's persistent session: every fix "
                    f"published while the worker restarts is lost; {BROKER_SETTINGS_HINT}")  # fmt: skip
        if self.received < self.published:
            lost = self.published - self.received
            return (f"the MQTT broker dropped {lost} of {self.published} QoS 1 messages queued "
                    "for an offline session: fixes published while the worker restarts are "
                    f"lost; {BROKER_SETTINGS_HINT}")  # fmt: skip
        return ""


def check_backlog(
    host: str, port: int, client_id: str, *, messages: int = BACKLOG_PROBE_MESSAGES,
    username: str = "", password: str = "", wait_s: float = 5.0,
) -> BacklogCheck:  # fmt: skip
    """Ask the broker to hold a backlog, the way a worker restart does, and count what it kept.

    A probe session (``<client_id>-probe``, persistent) subscribes to a private
    topic at QoS 1 and goes offline; ``messages`` QoS 1 messages are published to
    it; the session reconnects and counts what the broker delivers. It is
    removed afterwards (a clean-session connect). MQTT offers no standard way to
    read a broker's queue limit (Mosquitto's ``$SYS`` tree does not show it), so
    the broker is tested, not asked.
    """
    import secrets

    probe_id = f"{client_id}-probe"[:64]
    topic = f"minewatch/backlog-probe/{probe_id}/{secrets.token_hex(4)}"
    credentials = {"username": username, "password": password}
    _drop_session(host, port, probe_id, credentials)
    session = MqttSession(host, port, probe_id, clean_session=False, **credentials)
    session.connect()
    session.subscribe(topic, 1)
    session.close()
    try:
        _publish_probe(host, port, topic, messages, credentials)
        session.connect()
        kept = session.session_present
        received, quiet_until = 0, time.monotonic() + wait_s
        while received < messages and time.monotonic() < quiet_until:
            batch = session.read(wait_s=0.25, max_messages=messages)
            session.ack(batch)
            if batch:
                received += sum(1 for m in batch if m.topic == topic)
                quiet_until = min(quiet_until, time.monotonic() + 1.0)
        session.close()
    finally:
        _drop_session(host, port, probe_id, credentials)
    return BacklogCheck(messages, received, kept)


def _drop_session(host: str, port: int, client_id: str, credentials: dict) -> None:
    """A clean-session connect removes whatever the broker kept for ``client_id``."""
    session = MqttSession(host, port, client_id, clean_session=True, **credentials)
    try:
        session.connect()
    except (OSError, MqttError):
        return
    session.close()


def _publish_probe(host: str, port: int, topic: str, count: int, credentials: dict) -> None:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"minewatch-probe-pub-{socket.gethostname()}"[:64])  # fmt: skip
    if credentials["username"]:
        client.username_pw_set(credentials["username"], credentials["password"] or None)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    try:
        infos = [client.publish(topic, b"probe %d" % i, qos=1) for i in range(count)]
        for info in infos:
            info.wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()


@dataclass
class _Batch:
    messages: list[Message]
    fixes: list[Fix]
    payloads: list[bytes]
    malformed: list[tuple[ProtocolError, bytes]]


class TopicMismatch(ProtocolError):
    """A position published on another device's topic (``.../positions/<device>``)."""

    reason = "topic_mismatch"

    def __init__(self, topic: str, device: str) -> None:
        super().__init__("device", f"device {device!r} published on topic {topic!r}, which "
                         "names another device")  # fmt: skip
        self.device = device


def _parse(messages: list[Message], *, topic_names_device: bool = True) -> _Batch:
    """Parse a batch; with ``topic_names_device`` a fix counts only on its own device's topic.

    The broker's ACLs can let a tracker publish only under
    ``minewatch/positions/<its user name>``; the payload's ``device`` must then be
    that topic's last level, or a tracker could still speak for another device.
    """
    batch = _Batch(messages, [], [], [])
    for message in messages:
        try:
            fix = parse_mqtt_position(message.payload)
            if topic_names_device and message.topic.rpartition("/")[2] != fix.device_key:
                raise TopicMismatch(message.topic, fix.device_key)
            batch.fixes.append(fix)
            batch.payloads.append(message.payload)
        except ProtocolError as error:
            batch.malformed.append((error, message.payload))
    return batch


def _sample(payload: bytes) -> str:
    return payload[:300].decode("utf-8", errors="replace")
