"""Group commit: many senders' fixes stored and run through the engines in one call.

The OsmAnd listener and the Django endpoints (``/ingest/osmand/``,
``/ingest/traccar/``, through :func:`shared_batcher`) receive fixes one
request at a time.
Calling :func:`~minewatch.tracking.services.ingest.ingest_fixes` per message
would cost one transaction each; :class:`IngestBatcher` takes everything queued
(up to ``max_fixes``; optionally waiting ``max_wait_s`` for more) and ingests it
together, then resolves each message's future with its own outcome. While one
batch is being written the next one queues up, so batches grow with the load
and a lone fix is not delayed. A sender is answered (HTTP 200) only after its
fix is committed. The MQTT worker batches by itself (``mqtt.py``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from django.db import close_old_connections, connections, transaction

from minewatch.core.events import Event, dispatch
from minewatch.tracking.engine import Fix
from minewatch.tracking.services.ingest import (
    IngestResult,
    ingest_fixes,
    publish_from_this_thread,
)

logger = logging.getLogger("minewatch.tracking")


@dataclass
class _Item:
    fixes: list[Fix]
    token: str | None
    trusted: bool
    sample: str
    forwarder: int | None = None
    future: Future = field(default_factory=Future)


class EventRelay:
    """Delivers events to their subscribers in its own thread, after the commit that made them."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="tracking-events", daemon=True)
        self._thread.start()

    def publish(self, event: Event) -> None:
        """Like ``core.events.publish``: queued once the current transaction commits."""
        transaction.on_commit(lambda: self._queue.put(event))

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            dispatch(event)  # a failing subscriber is logged there
            close_old_connections()
        connections.close_all()


class IngestBatcher:
    """A background thread that ingests submitted fixes in batches (see module docstring)."""

    def __init__(self, *, source: str, max_fixes: int = 5000, max_wait_s: float = 0.0) -> None:
        if max_fixes < 1 or max_wait_s < 0:
            raise ValueError(f"max_fixes must be >= 1 and max_wait_s >= 0 s, got "
                             f"{max_fixes} and {max_wait_s}")  # fmt: skip
        self.source, self.max_fixes, self.max_wait_s = source, max_fixes, max_wait_s
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def start(self) -> IngestBatcher:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"ingest-{self.source}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def submit(
        self, fixes: list[Fix], *, token: str | None = None, trusted: bool = False,
        sample: str = "", forwarder_organisation_id: int | None = None,
    ) -> Future:  # fmt: skip
        """Queue one message's fixes; the future resolves to its :class:`IngestResult`."""
        item = _Item(fixes, token, trusted, sample, forwarder_organisation_id)
        self._queue.put(item)
        return item.future

    def _collect(self, first: _Item) -> tuple[list[_Item], bool]:
        items, count = [first], len(first.fixes)
        deadline = time.monotonic() + self.max_wait_s
        while count < self.max_fixes:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else (
                    self._queue.get_nowait())  # fmt: skip
            except queue.Empty:
                break
            if item is None:
                return items, True
            items.append(item)
            count += len(item.fixes)
        return items, False

    def _run(self) -> None:
        relay = EventRelay()
        publish_from_this_thread(relay.publish)
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            items, stopping = self._collect(first)
            self._ingest(items)
        relay.stop()
        connections.close_all()  # this thread's connections: the thread ends

    def _ingest(self, items: list[_Item]) -> None:
        fixes, tokens, trusted, samples, forwarders = [], [], [], [], []
        for item in items:
            fixes += item.fixes
            tokens += [item.token] * len(item.fixes)
            trusted += [item.trusted] * len(item.fixes)
            samples += [item.sample] * len(item.fixes)
            forwarders += [item.forwarder] * len(item.fixes)
        try:
            result = ingest_fixes(
                fixes, source=self.source, tokens=tokens, trusted_each=trusted,
                forwarders=forwarders, sample=samples.__getitem__,
            )  # fmt: skip
        except Exception as error:  # the whole batch failed: every sender must retry
            logger.exception("ingest batch of %d fixes failed", len(fixes))
            close_old_connections()
            for item in items:
                item.future.set_exception(error)
            return
        self.batches += 1
        start = 0
        for item in items:
            end = start + len(item.fixes)
            mine = IngestResult(accepted=0)
            mine.rejected = [r for r in result.rejected if start <= r.index < end]
            mine.accepted = len(item.fixes) - len(mine.rejected)
            item.future.set_result(mine)
            start = end


_shared: dict[str, IngestBatcher] = {}
_shared_lock = threading.Lock()


def shared_batcher(source: str) -> IngestBatcher:
    """This process's batcher for ``source``, started on first use (the Django endpoints).

    Request threads hand their fixes to it and wait: only its thread holds a
    database connection, however many trackers are connected.
    """
    with _shared_lock:
        batcher = _shared.get(source)
        if batcher is None:
            batcher = _shared[source] = IngestBatcher(source=source).start()
        return batcher


def stop_shared_batchers() -> None:
    """Stop this process's shared batchers (tests; they restart on next use)."""
    with _shared_lock:
        batchers = list(_shared.values())
        _shared.clear()
    for batcher in batchers:
        batcher.stop()
