"""Work ``minewatch serve`` runs beside the web server for tracking.

* the OsmAnd listener on ``MINEWATCH_OSMAND_PORT`` / ``serve --osmand-port`` (0 = off);
* the live clock: every few seconds the engines report signal losses and late
  arrivals that no new fix would reveal (a jammed tracker sends nothing);
* on PostgreSQL, the position partitions of this and the next months.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("minewatch.tracking")


def clock_loop(stop: threading.Event, interval_s: float) -> None:
    """Call ``advance_clock`` every ``interval_s`` seconds until ``stop`` is set."""
    from django.db import close_old_connections

    from minewatch.tracking.services.ingest import advance_clock

    while not stop.wait(interval_s):
        try:
            advance_clock()
        except Exception:
            logger.exception("tracking clock failed")
            close_old_connections()


def ensure_partitions(months_ahead: int = 3) -> list[str]:
    """Create the position partitions from this month on (PostgreSQL; a no-op on SQLite)."""
    from django.utils import timezone

    from minewatch.tracking.services.storage import create_month_partitions

    return create_month_partitions(start=timezone.now().date(), months=months_ahead + 1)


def starters() -> list[Callable[[], None]]:
    def start() -> None:
        from django.conf import settings

        from minewatch.tracking.engines import CLOCK_INTERVAL

        try:
            ensure_partitions()
        except Exception:
            logger.exception("could not create position partitions")
        stop = threading.Event()
        interval = CLOCK_INTERVAL.total_seconds()
        threading.Thread(
            target=clock_loop, args=(stop, interval), name="tracking-clock", daemon=True
        ).start()
        port = int(settings.TUNABLES["osmand_port"])
        if port:
            from minewatch.tracking.listener import OsmandListener

            host = str(settings.TUNABLES["osmand_host"])
            OsmandListener(host, port).start()
            logger.info("OsmAnd listener on %s:%d", host, port)

    return [start]
