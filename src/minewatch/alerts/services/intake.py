"""The detection intake: a queue in front of the rules, drained in batches by one thread.

Detectors (tracking, cameras, alarm panels) publish faster than one transaction per
detection allows (about 80 a second on SQLite, 30 on PostgreSQL). With the intake
running (``minewatch serve`` and ``demo`` start it), a detection event is queued and
the intake thread takes everything waiting, up to ``max_batch``, and raises it through
:func:`~minewatch.alerts.services.batch.raise_alerts` in one transaction. Under light
load a batch is one detection and it is raised at once; under heavy load batches grow,
so the queue stays bounded. Without an intake (tests, management commands) detections
are raised synchronously by the event subscriber.

The queue is in memory: a detection queued when the process dies is lost, as it would
be had the process died before the detector's event was published.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import close_old_connections, connections

from minewatch.alerts.services.batch import raise_alerts
from minewatch.alerts.services.rules import AlertInput

logger = logging.getLogger("minewatch.alerts.intake")

BatchCallback = Callable[[Sequence[AlertInput], list[list[Any]]], None]


class AlertIntake:
    """Queue detections with :meth:`submit`; :meth:`run_forever` raises them in batches.

    ``on_batch(items, results)`` (optional) is called after each batch committed, with
    the alerts each detection opened or folded into (the benchmark times it).
    """

    def __init__(self, *, max_batch: int = 500, on_batch: BatchCallback | None = None) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch={max_batch} must be at least 1")
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._queue: queue.SimpleQueue[AlertInput] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._pending = 0  # submitted and not yet raised
        self._pending_changed = threading.Condition()
        self.counts = {"detections": 0, "batches": 0, "largest_batch": 0}
        self.thread: threading.Thread | None = None  # set by start_in_thread

    def submit(self, item: AlertInput) -> None:
        with self._pending_changed:
            self._pending += 1
        self._queue.put(item)

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def take(self, timeout_s: float | None) -> list[AlertInput]:
        """Wait up to ``timeout_s`` for a detection, then take what else is waiting."""
        try:
            items = [self._queue.get(timeout=timeout_s)]
        except queue.Empty:
            return []
        while len(items) < self.max_batch:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def run_batch(self, items: list[AlertInput]) -> list[list[Any]]:
        """Raise one batch (errors are logged by ``raise_alerts``; nothing else is lost)."""
        try:
            results = raise_alerts(items)
        except Exception:
            logger.exception("intake batch of %s detections failed", len(items))
            results = [[] for _ in items]
        self.counts["detections"] += len(items)
        self.counts["batches"] += 1
        self.counts["largest_batch"] = max(self.counts["largest_batch"], len(items))
        if self.on_batch is not None:
            self.on_batch(items, results)
        with self._pending_changed:
            self._pending -= len(items)
            self._pending_changed.notify_all()
        return results

    def run_once(self, timeout_s: float | None = 0.0) -> int:
        """Raise what is waiting (one batch); returns how many detections."""
        items = self.take(timeout_s)
        if items:
            self.run_batch(items)
        return len(items)

    def run_forever(self) -> None:
        try:
            while not self._stop.is_set():
                self.run_once(timeout_s=0.5)
                close_old_connections()  # this thread's connection, as a request would
            while self.run_once():  # what was queued before the stop
                pass
        finally:
            connections.close_all()  # the thread ends: its connections must not outlive it

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until everything submitted so far has been raised (tests, benchmarks)."""
        with self._pending_changed:
            return self._pending_changed.wait_for(lambda: self._pending == 0, timeout_s)

    def stop(self) -> None:
        self._stop.set()


_running: AlertIntake | None = None


def running_intake() -> AlertIntake | None:
    """The intake of this process, if one was started."""
    return _running


def start_in_thread(**options: Any) -> AlertIntake:
    """Start this process's intake in a daemon thread; detection events go through it."""
    global _running
    intake = AlertIntake(**options)
    intake.thread = threading.Thread(target=intake.run_forever, name="alerts-intake", daemon=True)
    intake.thread.start()
    _running = intake
    return intake


def stop_running() -> None:
    """Stop this process's intake (it finishes what is queued); detections go synchronous."""
    global _running
    intake, _running = _running, None
    if intake is not None:
        intake.stop()
        if intake.thread is not None:
            intake.thread.join(10)
