"""The alerts worker: escalation timers, deliveries with retries, and periodic checks.

One loop, state in the database: ``run_due_escalations`` fires ladder steps that are
due, the :class:`~minewatch.alerts.services.delivery.DeliveryPump` sends queued
notifications in a thread pool, and other apps' periodic checks (silent alarm panels,
missed checkpoints, lone guards) run every ``check_interval_s``. Stop it and start a
new one (or several): nothing is lost and no step fires twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections
from django.utils import timezone

from minewatch.alerts.services.delivery import (
    DeliveryPump,
    notify_queued,
    recover_interrupted,
    wait_queued,
)
from minewatch.alerts.services.escalation import run_due_escalations
from minewatch.alerts.services.rules import prune_slots

logger = logging.getLogger("minewatch.alerts.worker")

# Other apps add checks here from their AppConfig.ready(): callable(now) -> int (alerts raised).
PERIODIC_CHECKS: list[Callable] = []


def register_periodic_check(check: Callable) -> Callable:
    if check not in PERIODIC_CHECKS:
        PERIODIC_CHECKS.append(check)
    return check


class AlertsWorker:
    """Run with :meth:`run_forever` (a thread or the CLI) or step with :meth:`run_once`."""

    def __init__(self, *, interval_s: float = 1.0, check_interval_s: float = 30.0,
                 max_deliveries: int = 8) -> None:  # fmt: skip
        self.interval_s = interval_s
        self.check_interval_s = check_interval_s
        self.pump = DeliveryPump(max_workers=max_deliveries)
        self.stop_event = threading.Event()
        self._last_check = 0.0
        self.counts = {"escalations": 0, "deliveries": 0, "checks": 0}

    def run_once(self, now=None) -> dict[str, int]:  # noqa: ANN001 - datetime | None
        now = now or timezone.now()
        fired = run_due_escalations(now)
        recorded = self.pump.pump(now)
        raised = 0
        if time.monotonic() - self._last_check >= self.check_interval_s:
            self._last_check = time.monotonic()
            prune_slots(now)  # forget de-duplication entries past their window
            for check in list(PERIODIC_CHECKS):
                try:
                    raised += check(now) or 0
                except Exception:
                    logger.exception("periodic check %r failed", check)
        self.counts["escalations"] += fired
        self.counts["deliveries"] += recorded
        self.counts["checks"] += raised
        return {"escalations": fired, "deliveries": recorded, "checks": raised}

    def run_forever(self) -> None:
        recovered = recover_interrupted()
        if recovered:
            logger.warning("%s deliveries interrupted by a stop were rescheduled", recovered)
        while not self.stop_event.is_set():
            try:
                self.run_once()
            except Exception:
                logger.exception("alerts worker step failed; continuing")
            finally:
                close_old_connections()
            # Idle until the interval passes or this process queues a try (the intake's
            # new alerts) or a try finishes: notifications start without waiting a tick.
            wait_queued(self.interval_s)
        self.pump.drain(timeout_s=10)
        self.pump.close()

    def stop(self) -> None:
        self.stop_event.set()
        notify_queued()


def start_in_thread(**options: float) -> AlertsWorker:
    """Start a worker in a daemon thread (``minewatch serve`` and ``demo`` do this)."""
    worker = AlertsWorker(**options)
    threading.Thread(target=worker.run_forever, name="alerts-worker", daemon=True).start()
    return worker
