"""Work ``minewatch serve`` runs beside the web server for the core: signed checkpoints."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("minewatch.core")


def checkpoint_loop(stop: threading.Event, interval_s: float) -> None:
    """Write a signed checkpoint every ``interval_s`` seconds until ``stop`` is set."""
    from django.db import close_old_connections

    from minewatch.core.ledger import write_checkpoint

    while not stop.wait(interval_s):
        try:
            write_checkpoint(reason="periodic")
        except Exception:
            logger.exception("could not write the signed checkpoint")
        finally:
            close_old_connections()


def starters() -> list[Callable[[], None]]:
    def start() -> None:
        from django.conf import settings

        interval = int(settings.TUNABLES["checkpoint_interval_s"])
        if interval <= 0:
            return
        from minewatch.core.ledger import write_checkpoint

        try:
            write_checkpoint(reason="start")
        except Exception:
            logger.exception("could not write the signed checkpoint")
        threading.Thread(
            target=checkpoint_loop, args=(threading.Event(), float(interval)),
            name="ledger-checkpoints", daemon=True,
        ).start()  # fmt: skip

    return [start]
