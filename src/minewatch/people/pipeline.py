"""Group commit of access events: concurrent callers' events stored as one batch.

Gate controllers send their passes one at a time, many gates at once. Stored call by
call, each pass paid the batch's fixed cost (about 20 queries, a commit, the audit
ledger's signed head), so a site with 200 passes a second queued them for minutes
(docs/people.md "Numbers"). Here each caller's right to record passes is checked in its
own thread (``services.prepare_access_call``, no query); the call is queued; one thread
takes everything queued and stores it together (``services.store_access_calls``: the
callers' access points read once per scope, then the batch), then answers every caller
with its own outcome. While one batch is written the next one gathers, so
batches grow with the load and a lone pass is not delayed.

If the merged batch fails, each call is stored again alone, so one caller's failure
never refuses another's events. This follows ``tracking/pipeline.py`` (fixes), with
per-caller actors and outcomes instead of per-fix tokens.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, connections

from minewatch.people import services

logger = logging.getLogger("minewatch.people")

# A caller whose events are not committed by then is told to send them again (503).
COMMIT_TIMEOUT_S = 30.0


class NotStored(Exception):
    """The events were not committed (in time): the caller keeps them and sends them again."""


@dataclass
class _Queued:
    call: services.AccessCall
    future: Future = field(default_factory=Future)


class AccessBatcher:
    """A background thread that stores queued access calls in batches (module docstring)."""

    def __init__(self, *, max_events: int = 2000) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be >= 1, got {max_events}")
        self.max_events = max_events
        self._queue: queue.Queue[_Queued | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def start(self) -> AccessBatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="access-events", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def submit(self, call: services.AccessCall) -> Future:
        """Queue ``call``; the future resolves to its ``IngestResult`` once committed."""
        queued = _Queued(call)
        self._queue.put(queued)
        return queued.future

    def _collect(self, first: _Queued) -> tuple[list[_Queued], bool]:
        batch, count = [first], len(first.call.items)
        while count < self.max_events:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                break
            if queued is None:
                return batch, True
            batch.append(queued)
            count += len(queued.call.items)
        return batch, False

    def _run(self) -> None:
        stopping = False
        try:
            while not stopping:
                first = self._queue.get()
                if first is None:
                    break
                batch, stopping = self._collect(first)
                self._store(batch)
                close_old_connections()
        finally:
            connections.close_all()  # this thread's connection: the thread ends

    def _store(self, batch: list[_Queued]) -> None:
        try:
            services.store_access_calls([queued.call for queued in batch])
        except Exception:
            if len(batch) == 1:
                logger.exception("access events of one call failed")
                close_old_connections()
                batch[0].future.set_exception(RuntimeError("access events not stored"))
                return
            logger.exception("a batch of %d access calls failed; storing each alone", len(batch))
            close_old_connections()
            for queued in batch:
                queued.call.result = services.IngestResult()  # drop the failed try's outcome
                self._store([queued])
            return
        self.batches += 1
        for queued in batch:
            queued.future.set_result(queued.call.result)


_shared: AccessBatcher | None = None
_shared_lock = threading.Lock()


def shared_batcher() -> AccessBatcher:
    """This process's access-event batcher, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = AccessBatcher().start()
        return _shared


def stop_shared_batcher() -> None:
    """Stop this process's batcher (tests; it restarts on next use)."""
    global _shared
    with _shared_lock:
        batcher, _shared = _shared, None
    if batcher is not None:
        batcher.stop()


def record_access_events(*, actor: Any, events: Iterable[Any],
                         timeout_s: float = COMMIT_TIMEOUT_S) -> services.IngestResult:  # fmt: skip
    """``services.record_access_events``, committed together with other callers' events.

    Inside a caller's transaction (a test, a command, an import) the events must be part of
    it, so they are stored right there. Raises :class:`NotStored` when they were not
    committed (in time).
    """
    call = services.prepare_access_call(actor=actor, events=events)
    if connection.in_atomic_block:
        services.store_access_calls([call])
        return call.result
    future = shared_batcher().submit(call)
    try:
        return future.result(timeout=timeout_s)
    except Exception as error:  # the batch failed, or is too slow
        raise NotStored(str(error) or "not committed in time") from error
