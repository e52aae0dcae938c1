"""Long-running receivers: the SIA DC-09 server and the Frigate MQTT subscriber.

Both take their configuration (panel accounts, camera rules) from the database, hand
each message to a service, and survive bad input: a refused frame or message is
logged with its reason and counted, and the next one is handled normally.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.db import OperationalError, close_old_connections

from minewatch.alarms.engine.sia import PanelEvent, SiaFrameHandler, SiaReceiver

logger = logging.getLogger("minewatch.alarms.receiver")


# One writer thread: events are stored in arrival order and never compete with each other.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sia-store")


def with_retries(write: Callable[[], Any], *, what: str, tries: int = 6) -> Any:
    """Run a database write, retrying a locked database (SQLite under concurrent writers)."""
    for attempt in range(1, tries + 1):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries:
                raise
            logger.info("%s: database locked, retry %s", what, attempt)
            time.sleep(0.05 * 2**attempt)
        finally:
            close_old_connections()
    return None


def _store(event: PanelEvent) -> None:
    from minewatch.alarms.services import record_panel_event

    with_retries(lambda: record_panel_event(event), what=f"panel event {event.account}")


async def on_panel_event(event: PanelEvent) -> None:
    """Store the event off the event loop (the ORM is synchronous), one at a time."""
    await asyncio.get_running_loop().run_in_executor(_writer, _store, event)


def reload_accounts(receiver: SiaReceiver, accounts: list) -> None:
    """Swap in the current panel accounts, keeping counters and the retransmission memory."""
    old = receiver.handler
    new = SiaFrameHandler(accounts, duplicate_window_s=old.duplicate_window_s,
                          rejected_by_reason=old.rejected_by_reason, counts=old.counts,
                          last_seen_utc=old.last_seen_utc)  # fmt: skip
    new._recent = old._recent
    receiver.handler = new


async def serve_sia(
    *, host: str, port: int, reload_s: float = 60.0, stop: asyncio.Event | None = None,
    on_started: Callable[[SiaReceiver], None] | None = None,
) -> SiaReceiver:  # fmt: skip
    """Run a SIA receiver on TCP and UDP ``port`` until ``stop`` is set."""
    from minewatch.alarms.services import panel_accounts

    stop = stop or asyncio.Event()
    accounts = await sync_to_async(panel_accounts, thread_sensitive=False)()
    receiver = SiaReceiver(accounts=accounts, on_event=on_panel_event, host=host, tcp_port=port,
                           udp_port=port)  # fmt: skip
    await receiver.start()
    logger.info("SIA receiver on %s tcp/%s udp/%s with %s panels", host, receiver.tcp_port,
                receiver.udp_port, len(accounts))  # fmt: skip
    if on_started is not None:
        on_started(receiver)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), reload_s)
            except TimeoutError:
                accounts = await sync_to_async(panel_accounts, thread_sensitive=False)()
                reload_accounts(receiver, accounts)
                if receiver.rejected_by_reason:
                    logger.info("SIA frames refused so far: %s", receiver.rejected_by_reason)
    finally:
        await receiver.stop()
    return receiver


class SiaReceiverThread:
    """The receiver in its own thread and event loop (``demo`` and tests)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, reload_s: float = 60.0) -> None:
        self.host, self.port, self.reload_s = host, port, reload_s
        self.started = threading.Event()
        self.receiver: SiaReceiver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="sia-receiver", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()

            def ready(receiver: SiaReceiver) -> None:
                self.receiver = receiver
                self.started.set()

            await serve_sia(host=self.host, port=self.port, reload_s=self.reload_s,
                            stop=self._stop, on_started=ready)  # fmt: skip

        try:
            asyncio.run(main())
        except Exception:
            logger.exception("SIA receiver stopped")
            self.started.set()

    def start(self, timeout_s: float = 10.0) -> SiaReceiverThread:
        self._thread.start()
        self.started.wait(timeout_s)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def tcp_port(self) -> int | None:
        return self.receiver.tcp_port if self.receiver else None

    @property
    def udp_port(self) -> int | None:
        return self.receiver.udp_port if self.receiver else None


def frigate_topics(prefix: str) -> list[tuple[str, int]]:
    return [(f"{prefix}/events", 1), (f"{prefix}/+/+/snapshot", 0)]


def on_frigate_message(topic: str, payload: bytes, prefix: str = "frigate") -> Any:
    """Route one MQTT message: events to the intrusion check, snapshots to the last intrusion."""
    from minewatch.alarms.services import attach_snapshot, handle_frigate_message

    try:
        if topic == f"{prefix}/events":
            return with_retries(lambda: handle_frigate_message(payload), what=topic)
        parts = topic.split("/")
        if len(parts) == 4 and parts[0] == prefix and parts[3] == "snapshot":
            return with_retries(lambda: attach_snapshot(parts[1], parts[2], payload), what=topic)
        return None
    except Exception:  # one bad message must not stop the subscriber
        logger.exception("frigate message on %s could not be handled", topic)
        return None


def default_frigate_client_id() -> str:
    import socket

    return f"minewatch-frigate-{socket.gethostname()}"[:64]


def frigate_client(
    host: str, port: int, *, prefix: str = "frigate", client_id: str = "", username: str = "",
    password: str = "",
) -> Any:  # fmt: skip
    """A paho-mqtt 2 client subscribed to Frigate's events and snapshots (call loop_forever).

    With a fixed ``client_id`` (the CLI always gives one) the session is persistent
    (clean session off): the broker queues the events of a subscriber that is
    restarting, as for the tracker worker (``docs/mqtt-broker.md``).
    """
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=not client_id)  # fmt: skip
    if username:
        client.username_pw_set(username, password or None)

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        client.subscribe(frigate_topics(prefix))
        logger.info("subscribed to %s/events on %s:%s", prefix, host, port)

    client.on_connect = on_connect
    client.on_message = lambda c, u, message: on_frigate_message(
        message.topic, message.payload, prefix
    )
    client.reconnect_delay_set(1, 30)
    client.connect(host, port, keepalive=30)
    return client
