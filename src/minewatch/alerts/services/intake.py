"""The detection intake: a durable journal in front of the rules, drained in batches by one thread.

Detectors (tracking, cameras, alarm panels) publish faster than one alert transaction
per detection allows (about 80 a second on SQLite, 30 on PostgreSQL). With the intake
running (``minewatch serve`` and ``demo`` start it), :meth:`AlertIntake.submit` writes
the detection to the journal (:class:`~minewatch.alerts.models.IntakeEntry`) and
returns once that row is committed: only then is the detection acknowledged. The
intake thread takes what is waiting, up to ``max_batch``, raises it through
:func:`~minewatch.alerts.services.batch.raise_alerts` and deletes those journal rows
*in the same transaction*. A process killed at any instant therefore leaves each
accepted detection either raised or still in the journal, where the next intake to
start finds it: nothing accepted is lost, nothing is raised twice.

Why a table and not a file or a broker: the journal row and the alert commit together
(exactly-once without de-duplication keys), both databases MineWatch runs on have it,
and backups carry it. The cost is one small insert per detection; the alert work is
still batched. Rows are taken with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL
(several intakes may run); SQLite's single writer serialises them.

Without an intake (tests, management commands) detections are raised synchronously by
the event subscriber.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from minewatch.alerts.models import IntakeEntry
from minewatch.alerts.services.batch import raise_alerts
from minewatch.alerts.services.bulk import write_turn
from minewatch.alerts.services.rules import AlertInput

logger = logging.getLogger("minewatch.alerts.intake")

BatchCallback = Callable[[Sequence[AlertInput], list[list[Any]]], None]


def encode_input(item: AlertInput) -> dict[str, Any]:
    """The detection as JSON the journal can hold (times as ISO 8601 with offset)."""
    values = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def decode_input(payload: dict[str, Any]) -> AlertInput:
    """The detection back from its journal row."""
    values = dict(payload)
    values["occurred_at"] = dt.datetime.fromisoformat(values["occurred_at"])
    return AlertInput(**values)


def pending_entries() -> Any:
    """Journal rows still to raise (failed ones wait for an operator)."""
    return IntakeEntry.objects.filter(failed_at__isnull=True)


class AlertIntake:
    """Journal detections with :meth:`submit`; :meth:`run_forever` raises them in batches.

    ``on_batch(items, results)`` (optional) is called after each batch committed, with
    the alerts each detection opened or folded into (the benchmark times it).
    """

    def __init__(self, *, max_batch: int = 500, on_batch: BatchCallback | None = None) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch={max_batch} must be at least 1")
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.counts = {"detections": 0, "batches": 0, "largest_batch": 0, "failed": 0}
        self.thread: threading.Thread | None = None  # set by start_in_thread

    def submit(self, item: AlertInput) -> IntakeEntry:
        """Journal ``item``; when this returns the detection is durable (acknowledge it)."""
        # This process's writers take turns on SQLite (as submit_many does): a lone insert
        # racing the intake's transaction met a locked table instead of waiting.
        with write_turn():
            entry = IntakeEntry.objects.create(payload=encode_input(item))
        if transaction.get_connection().in_atomic_block:
            # Durable with the caller's transaction; the intake can see it once it commits.
            transaction.on_commit(self._wake.set)
        else:
            self._wake.set()
        return entry

    def submit_many(self, items: Sequence[AlertInput]) -> None:
        """Journal ``items`` in one insert (one commit); durable when this returns."""
        if not items:
            return
        rows = [IntakeEntry(payload=encode_input(item)) for item in items]
        if transaction.get_connection().in_atomic_block:
            IntakeEntry.objects.bulk_create(rows)
            transaction.on_commit(self._wake.set)
            return
        with write_turn(), transaction.atomic():
            IntakeEntry.objects.bulk_create(rows)
        self._wake.set()

    @property
    def waiting(self) -> int:
        return pending_entries().count()

    def _take_and_raise(self) -> tuple[list[AlertInput], list[list[Any]]]:
        with write_turn(), transaction.atomic():
            rows = list(
                pending_entries()
                .select_for_update(skip_locked=True)
                .order_by("id")[: self.max_batch]
            )
            if not rows:
                return [], []
            items: list[AlertInput] = []
            good: list[IntakeEntry] = []
            for row in rows:
                try:
                    items.append(decode_input(row.payload))
                    good.append(row)
                except Exception as exc:  # a row written by an older version, or edited
                    self._mark_failed(row, exc)
            results = self._raise(items, good)
            IntakeEntry.objects.filter(pk__in=[row.pk for row in good]).delete()
        return items, results

    def _raise(self, items: list[AlertInput], rows: list[IntakeEntry]) -> list[list[Any]]:
        """Raise the batch; if it fails, each detection alone; a failing one is kept, marked."""
        try:
            with transaction.atomic():
                return raise_alerts(items, strict=True)
        except Exception:
            if len(items) == 1:
                logger.exception("intake detection %s failed", rows[0].pk)
            else:
                logger.exception("intake batch of %s failed; raising one by one", len(items))
        results: list[list[Any]] = []
        for item, row in zip(items, list(rows), strict=True):
            try:
                with transaction.atomic():
                    results.append(raise_alerts([item], strict=True)[0])
            except Exception as exc:
                self._mark_failed(row, exc)
                rows.remove(row)
                results.append([])
        return results

    def _mark_failed(self, row: IntakeEntry, exc: Exception) -> None:
        logger.error("intake entry %s kept as failed: %s", row.pk, exc)
        IntakeEntry.objects.filter(pk=row.pk).update(
            failed_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        self.counts["failed"] += 1

    def run_once(self, timeout_s: float | None = 0.0) -> int:
        """Raise what is waiting (one batch), waiting up to ``timeout_s`` for something;
        returns how many detections were taken."""
        self._wake.clear()
        items, results = self._take_and_raise()
        if not items and timeout_s:
            self._wake.wait(timeout_s)
            self._wake.clear()
            items, results = self._take_and_raise()
        if items:
            self.counts["detections"] += len(items)
            self.counts["batches"] += 1
            self.counts["largest_batch"] = max(self.counts["largest_batch"], len(items))
            if self.on_batch is not None:
                self.on_batch(items, results)
        return len(items)

    def run_forever(self) -> None:
        try:
            try:
                with write_turn():  # not racing a submit's insert on SQLite
                    waiting = self.waiting
            except Exception:  # a locked or unreachable database must not end the thread
                logger.exception("cannot count the journal; the loop replays it when it can")
                waiting = 0
            if waiting:  # accepted by a process that stopped (or died) before raising them
                logger.warning("replaying %s journalled detections", waiting)
            while not self._stop.is_set():
                try:
                    self.run_once(timeout_s=0.5)
                except Exception:
                    logger.exception("intake step failed; the journal keeps the detections")
                    time.sleep(1.0)
                close_old_connections()  # this thread's connection, as a request would
            while self.run_once():  # what was journalled before the stop
                pass
        finally:
            connections.close_all()  # the thread ends: its connections must not outlive it

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until the journal holds nothing to raise (tests, benchmarks)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if not pending_entries().exists():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()


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
    """Stop this process's intake (it finishes what is journalled); detections go synchronous."""
    global _running
    intake, _running = _running, None
    if intake is not None:
        intake.stop()
        if intake.thread is not None:
            intake.thread.join(10)
